import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Loopback IdP stand-in serving a JWKS (same pattern as test/support/jwks-server.ts); counts fetches. */
export class BenchJwksServer {
  keys: Record<string, unknown>[] = [];
  fetches = 0;
  url = '';
  private server?: Server;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      if (req.url === '/jwks.json') {
        this.fetches++;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: this.keys }));
        return;
      }
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  get jwksUri(): string {
    return `${this.url}/jwks.json`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
