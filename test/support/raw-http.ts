import { Agent, type IncomingHttpHeaders, request } from 'node:http';
import { connect } from 'node:net';

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
  /** Extra header lines sent as given, after `headers` (repeated names, odd casing). */
  rawHeaders?: string[];
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

function headerLines(headers: Record<string, string>, raw: string[] | undefined): Record<string, string> | string[] {
  return raw ? [...Object.entries(headers).flat(), ...raw] : headers;
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
        headers: headerLines(
          { host: target.host, ...(options.body !== undefined ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}), ...options.headers },
          options.rawHeaders,
        ),
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

/**
 * One HTTP/1.1 request written byte for byte (header values as Latin-1, so `\u00a0` is the single
 * byte 0xA0, where node:http would send UTF-8). `Connection: close`; the response is read to the end.
 */
export function latin1Request(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
  const target = new URL(url);
  const body = Buffer.from(options.body ?? '', 'utf8');
  const lines = [
    `${options.method ?? 'GET'} ${target.pathname}${target.search} HTTP/1.1`,
    `Host: ${target.host}`,
    'Connection: close',
    `Content-Length: ${body.length}`,
    ...Object.entries(options.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
  ];
  return new Promise((resolve, reject) => {
    const socket = connect(Number(target.port), '127.0.0.1', () => {
      socket.write(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]));
    });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // An event-stream answer may keep the connection open (Connection: keep-alive) despite ours.
      if (endsChunked(Buffer.concat(chunks))) socket.end();
    });
    // A server that answers before the whole body was written (413) closes on us: the answer counts.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
    });
    socket.on('close', () =>
      chunks.length > 0 ? resolve(parseResponse(Buffer.concat(chunks))) : reject(new Error('the connection closed without a response')),
    );
  });
}

/** A complete chunked response: headers say chunked and the last-chunk marker arrived. */
function endsChunked(raw: Buffer): boolean {
  const split = raw.indexOf('\r\n\r\n');
  return split > 0 && /\r\ntransfer-encoding: *chunked/i.test(raw.subarray(0, split).toString('latin1')) && raw.subarray(split).includes('\r\n0\r\n\r\n');
}

function parseResponse(raw: Buffer): RawResponse {
  const split = raw.indexOf('\r\n\r\n');
  const [statusLine, ...headerLines] = raw.subarray(0, split).toString('latin1').split('\r\n');
  const headers: IncomingHttpHeaders = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(split + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    const parts: Buffer[] = [];
    for (let at = 0; ;) {
      const eol = body.indexOf('\r\n', at);
      const size = parseInt(body.subarray(at, eol).toString('latin1'), 16);
      if (!size) break;
      parts.push(body.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: body.toString('utf8') };
}

/**
 * The JSON-RPC message of an MCP POST response, whether the server answered with JSON or with a
 * Streamable HTTP event stream (the SDK's stateless legacy leg streams): the last `data:` event.
 */
export function mcpResponseBody<T = unknown>(body: string): T {
  const trimmed = body.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return JSON.parse(trimmed) as T;
  const events = trimmed.split(/\n\n/).flatMap((event) =>
    event
      .split('\n')
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).trim()),
  );
  const last = events.filter((d) => d.length > 0).at(-1);
  if (last === undefined) throw new Error(`no JSON-RPC message in the response: ${trimmed.slice(0, 200)}`);
  return JSON.parse(last) as T;
}
