import { Agent, type IncomingHttpHeaders, request } from 'node:http';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RawRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Loopback source address to send from (127.0.0.2, …): another client IP as the server sees it. */
  localAddress?: string;
  agent?: Agent;
}

const agents = new Map<string, Agent>();

/** A keep-alive agent per source address (so floods reuse connections). */
export function agentFor(localAddress = '127.0.0.1'): Agent {
  let agent = agents.get(localAddress);
  if (!agent) {
    agent = new Agent({ keepAlive: true, maxSockets: 32 });
    agents.set(localAddress, agent);
  }
  return agent;
}

export function destroyAgents(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}

/**
 * One HTTP request with node:http, connected to 127.0.0.1 whatever the URL's host name (the Host
 * header keeps it), optionally from another loopback source address. Never follows redirects; a
 * server that answers before the whole body was sent (413) is read normally.
 */
export function rawRequest(url: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    let responded = false;
    const req = request(
      {
        host: '127.0.0.1',
        port: Number(target.port),
        path: `${target.pathname}${target.search}`,
        method: options.method ?? 'GET',
        headers: { host: target.host, ...(options.body !== undefined ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}), ...options.headers },
        localAddress: options.localAddress,
        agent: options.agent ?? agentFor(options.localAddress),
      },
      (res) => {
        responded = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      // The server answered and closed while a large body was still being written: the answer counts.
      if (err.code === 'EPIPE' || err.code === 'ECONNRESET') return;
      reject(err);
    });
    req.on('close', () => {
      if (!responded) reject(new Error('the connection closed without a response'));
    });
    if (options.body !== undefined) req.end(options.body);
    else req.end();
  });
}
