import { createHash } from 'node:crypto';
import { Controller, Post, Req, UseGuards } from '@nestjs/common';
import { McpAuthGuard, type McpAuthInfo, UpstreamTokenService } from '../../src/index.js';
import { authorizeUrl, completeFlow, pkce, redeemCode, registerClient, startProxyFixture, type ProxyFixture } from '../support/proxy-fixture.js';
import { RedisServer } from '../support/redis-server.js';

/**
 * O8 (outside review): concurrent tool calls each refreshed the same upstream refresh token (three
 * calls, three refreshes with RT-0); an IdP with reuse detection then revokes the whole grant. The
 * refresh is now single-flight per grant, in a process and across replicas (a lock in the store).
 *
 * Real parts: two app instances sharing a real Redis, in front of oidc-provider rotating refresh
 * tokens for every client (a refresh token used twice revokes the grant), whose upstream access
 * tokens live 10 s (always inside the 30 s refresh margin, so every call needs a fresh one).
 */

/** A tool-like route that calls the upstream on the user's behalf. */
@UseGuards(McpAuthGuard)
@Controller('upstream-call')
class UpstreamCallController {
  constructor(private readonly upstreamTokens: UpstreamTokenService) {}

  @Post()
  async call(@Req() req: { auth?: McpAuthInfo }): Promise<{ token: string }> {
    const token = await this.upstreamTokens.getAccessToken(req.auth);
    return { token: createHash('sha256').update(token).digest('hex').slice(0, 12) };
  }
}

const REDIRECT = 'http://127.0.0.1:54000/callback';

/** Counts the refresh-token requests the servers send to the IdP's token endpoint. */
function countUpstreamRefreshes(tokenEndpoint: string): { count(): number; restore(): void } {
  const original = globalThis.fetch;
  let count = 0;
  globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.startsWith(tokenEndpoint) && String(init?.body ?? '').includes('grant_type=refresh_token')) count++;
    return original(input, init);
  }) as typeof fetch;
  return { count: () => count, restore: () => (globalThis.fetch = original) };
}

describe('O8 upstream refresh is single-flight per grant, across replicas', () => {
  const redis = new RedisServer();
  let a: ProxyFixture;
  let b: ProxyFixture;

  beforeAll(async () => {
    await redis.start();
    const store = () => redis.store('o8:');
    a = await startProxyFixture({ store: await store() }, undefined, 'express', {
      controllers: [UpstreamCallController],
      idp: { rotateRefreshTokens: true, accessTokenTtlSeconds: 10 },
    });
    b = await startProxyFixture({ store: await store() }, { base: a.base, idp: a.idp }, 'express', { controllers: [UpstreamCallController] });
  }, 30_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis.stop();
  });

  it('O8 six concurrent tool calls on two replicas refresh the upstream token once, all succeed, and the upstream grant survives', async () => {
    const clientId = await registerClient(a, [REDIRECT]);
    const { verifier, challenge } = pkce();
    const { callback } = await completeFlow(
      a,
      authorizeUrl(a, { client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, resource: a.resource }),
    );
    const issued = await redeemCode(a, callback, { verifier, redirectUri: REDIRECT, clientId });
    const { access_token } = (await issued.json()) as { access_token: string };

    const discovery = (await (await fetch(`${a.idp.issuer}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
    const refreshes = countUpstreamRefreshes(discovery.token_endpoint);
    try {
      const call = (origin: string) => fetch(`${origin}/upstream-call`, { method: 'POST', headers: { authorization: `Bearer ${access_token}` } });
      const burst = await Promise.all([a.origin, b.origin, a.origin, b.origin, a.origin, b.origin].map(call));
      const bodies = await Promise.all(burst.map(async (r) => ({ status: r.status, body: (await r.json()) as { token?: string } })));
      expect(bodies.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 201]);
      expect(new Set(bodies.map((r) => r.body.token)).size).toBe(1);
      expect(refreshes.count()).toBe(1);

      // The grant is alive at the IdP: the next call refreshes with the rotated token and succeeds.
      const next = await call(b.origin);
      expect(next.status).toBe(201);
      expect(refreshes.count()).toBe(2);
    } finally {
      refreshes.restore();
    }
  });
});
