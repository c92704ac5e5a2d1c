import { Agent, request } from 'node:https';
import { connect, type TLSSocket } from 'node:tls';

/** The serial number of the certificate a new TLS connection to 127.0.0.1:`port` is shown (verified against `ca`). */
export function servedSerial(port: number, ca: Buffer[], servername?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: TLSSocket = connect({ host: '127.0.0.1', port, ca, servername }, () => {
      const serial = socket.getPeerX509Certificate()?.serialNumber ?? '';
      socket.end();
      resolve(serial);
    });
    socket.on('error', reject);
  });
}

export interface KeptAliveResponse {
  status: number;
  /** The request went over a connection opened by an earlier request. */
  reused: boolean;
  /** The certificate of the connection the response came on. */
  serial: string;
}

/**
 * One long-lived TLS connection: every `get` goes over the same keep-alive socket (one socket per
 * agent), so a test can see that a connection opened before a reload keeps working, and with what.
 */
export class KeptAliveConnection {
  private readonly agent: Agent;
  /** The certificate each socket was shown at its handshake (Node no longer exposes it once a socket is reused). */
  private readonly serials = new WeakMap<TLSSocket, string>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly port: number,
    ca: Buffer[],
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: 1, ca });
  }

  get(path: string): Promise<KeptAliveResponse> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: this.port, path, agent: this.agent }, (res) => {
        const serial = this.serials.get(res.socket as TLSSocket) ?? '';
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket, serial }));
      });
      req.on('socket', (socket) => {
        const tls = socket as TLSSocket;
        if (!this.serials.has(tls)) tls.once('secureConnect', () => this.serials.set(tls, tls.getPeerX509Certificate()?.serialNumber ?? ''));
      });
      req.on('error', reject);
      req.end();
    });
  }

  /**
   * Sends `GET path` every `ms` so the connection never sits idle long enough for the server's
   * keep-alive timeout (5 s in Node) while a test waits on something slow.
   */
  heartbeat(path: string, ms = 1000): void {
    this.timer = setInterval(() => void this.get(path).catch(() => undefined), ms);
  }

  close(): void {
    clearInterval(this.timer);
    this.agent.destroy();
  }
}

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
