import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

export interface TestKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/** Generates a real key pair and its public JWK (RSA 2048 for RS*, P-256/384 for ES*). */
export async function generateTestKey(alg: string, kid: string, options: { modulusLength?: number } = {}): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, modulusLength: options.modulusLength });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

/**
 * A loopback IdP stand-in over real HTTP: serves a JWKS and an OIDC discovery document, counts
 * requests, and can be switched to misbehave (status, body, delay) for failure tests.
 */
export class JwksServer {
  keys: JWK[] = [];
  jwksRequests = 0;
  discoveryRequests = 0;
  /** Overrides the JWKS response when set. */
  jwksResponse?: (req: IncomingMessage, res: ServerResponse) => void;
  issuerOverride?: string;
  private server?: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  get jwksUri(): string {
    return `${this.url}/jwks.json`;
  }

  get issuer(): string {
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.url === '/jwks.json') {
      this.jwksRequests++;
      if (this.jwksResponse) return this.jwksResponse(req, res);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: this.keys }));
      return;
    }
    if (req.url === '/.well-known/openid-configuration') {
      this.discoveryRequests++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ issuer: this.issuerOverride ?? this.issuer, jwks_uri: this.jwksUri }));
      return;
    }
    res.statusCode = 404;
    res.end();
  }
}
