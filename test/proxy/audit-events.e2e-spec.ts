import type { AuditEvent, AuditSink } from '../../src/index.js';
import { appUrl, createTestApp } from '../support/test-app.js';
import { signedIn, startProxyFixture, tokenRequest } from '../support/proxy-fixture.js';

class CapturingSink implements AuditSink {
  events: AuditEvent[] = [];
  emit(event: AuditEvent): void {
    this.events.push(event);
  }
}

describe('audit events', () => {
  it('native mode: a refused request on an app route emits authorization_denied with time, request id and IP, and adds no header', async () => {
    const sink = new CapturingSink();
    const app = await createTestApp({
      provider: 'hmac',
      jwtSecret: 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe',
      audience: 'api://mcp',
      serverUrl: 'http://localhost:8080',
      auditSink: sink,
    });
    try {
      const base = await appUrl(app);
      const res = await fetch(`${base}/protected`, { headers: { 'x-request-id': 'req-123' } });
      expect(res.status).toBe(401);
      expect(res.headers.get('x-request-id')).toBeNull();
      await fetch(`${base}/protected`, { headers: { 'x-request-id': '<script>' } });
      expect(sink.events[0]).toMatchObject({ type: 'authorization_denied', reason: 'no_token', requestId: 'req-123', ip: '127.0.0.1' });
      expect(sink.events[1].requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(Date.parse(sink.events[0].time)).not.toBeNaN();
    } finally {
      await app.close();
    }
  });

  it('requestIdHeader: the module echoes a safe X-Request-Id on its own paths and the MCP endpoint, or makes one', async () => {
    const app = await createTestApp({
      provider: 'hmac',
      jwtSecret: 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe',
      audience: 'api://mcp',
      serverUrl: 'http://localhost:8080',
      requestIdHeader: true,
    });
    try {
      const base = await appUrl(app);
      expect((await fetch(`${base}/mcp`, { headers: { 'x-request-id': 'req-123' } })).headers.get('x-request-id')).toBe('req-123');
      expect((await fetch(`${base}/.well-known/oauth-protected-resource`, { headers: { 'x-request-id': '<script>' } })).headers.get('x-request-id')).toMatch(
        /^[0-9a-f-]{36}$/,
      );
      expect((await fetch(`${base}/protected`, { headers: { 'x-request-id': 'req-123' } })).headers.get('x-request-id')).toBeNull();
    } finally {
      await app.close();
    }
  });

  it('proxy mode: registration, consent, sign-in, issue, refresh, reuse, revocation and rate limiting are each recorded, without secrets', async () => {
    const sink = new CapturingSink();
    const f = await startProxyFixture({ auditSink: sink, rateLimits: { token: { limit: 5, windowSeconds: 60 } } });
    try {
      const { clientId, tokens } = await signedIn(f);
      const refreshed = (await (await tokenRequest(f, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId })).json()) as {
        access_token: string;
        refresh_token: string;
      };
      await tokenRequest(f, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: clientId });
      await fetch(`${f.base}/oauth/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: refreshed.refresh_token, client_id: clientId }),
      });
      for (let i = 0; i < 4; i++) await tokenRequest(f, { grant_type: 'refresh_token', refresh_token: 'x', client_id: clientId });
      const types = sink.events.map((e) => e.type);
      expect(types).toEqual(
        expect.arrayContaining(['client_registered', 'consent_granted', 'sign_in', 'token_issued', 'token_refreshed', 'refresh_token_reuse', 'rate_limited']),
      );
      const signIn = sink.events.find((e) => e.type === 'sign_in')!;
      expect(signIn).toMatchObject({ clientId, subject: 'alice' });
      expect(signIn.grantId).toBeDefined();
      const text = JSON.stringify(sink.events);
      for (const secret of [tokens.access_token, tokens.refresh_token, refreshed.access_token, refreshed.refresh_token]) expect(text).not.toContain(secret);
    } finally {
      await f.close();
    }
  });
});
