import type { INestApplication } from '@nestjs/common';
import { appUrl, createTestApp } from '../support/test-app.js';
import { handMadeHs256, now, signHmac } from '../support/tokens.js';

const SECRET = 'k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe';
const PREVIOUS = 'Pq8Wm3Zx7Nv2Lk9Rt4Ys6Hd1Fg5Jc0Ba';
const AUD = 'http://127.0.0.1:9/mcp';

describe('native mode, hmac provider', () => {
  let app: INestApplication;
  let base: string;
  const claims = () => ({ sub: 'alice', aud: AUD, exp: now() + 600, iat: now(), scope: 'mcp:read mcp:write', email: 'alice@example.com' });
  const get = (path: string, token?: string, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });

  beforeAll(async () => {
    app = await createTestApp({
      provider: 'hmac',
      jwtSecret: SECRET,
      jwtSecretPrevious: PREVIOUS,
      audience: AUD,
      serverUrl: 'http://127.0.0.1:9',
      scopes: ['mcp:read', 'mcp:write', 'mcp:admin'],
    });
    base = await appUrl(app);
  });
  afterAll(() => app.close());

  it('accepts a valid token and exposes the user and the SDK AuthInfo', async () => {
    const token = await signHmac(SECRET, claims());
    const res = await get('/protected', token);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, any>;
    expect(body.user).toMatchObject({ sub: 'alice', email: 'alice@example.com', scopes: ['mcp:read', 'mcp:write'] });
    expect(body.auth).toMatchObject({ token, scopes: ['mcp:read', 'mcp:write'], resource: 'http://127.0.0.1:9/mcp' });
    expect(((await (await get('/email', token)).json()) as { email: string }).email).toBe('alice@example.com');
  });

  it('A1 no credentials: 401, one Bearer challenge without an error code', async () => {
    const res = await get('/protected');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer resource_metadata="http://127.0.0.1:9/.well-known/oauth-protected-resource/mcp", scope="mcp:read mcp:write mcp:admin", DPoP algs="ES256 ES384 ES512 RS256 RS384 RS512 PS256 PS384 PS512 EdDSA"',
    );
    expect(res.headers.get('access-control-expose-headers')).toContain('WWW-Authenticate');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ error: 'invalid_token', error_description: 'Bearer token required' });
  });

  it('invalid token: 401 with error="invalid_token" and the full challenge', async () => {
    const res = await get('/protected', 'a.b.c');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer error="invalid_token", error_description="The access token is malformed", resource_metadata="http://127.0.0.1:9/.well-known/oauth-protected-resource/mcp", scope="mcp:read mcp:write mcp:admin", DPoP algs="ES256 ES384 ES512 RS256 RS384 RS512 PS256 PS384 PS512 EdDSA"',
    );
  });

  it('@Public() routes need no token', async () => {
    expect((await get('/public')).status).toBe(200);
  });

  it('rotation: a token signed with JWT_SECRET_PREVIOUS is accepted', async () => {
    expect((await get('/protected', await signHmac(PREVIOUS, claims()))).status).toBe(200);
  });

  it('A9 HS512 with the same secret is refused when only HS256 is allowed', async () => {
    const res = await get('/protected', await signHmac(SECRET, claims(), {}, 'HS512'));
    expect(res.status).toBe(401);
  });

  it('A21 missing scope: 403 insufficient_scope naming the token’s scopes and every required one', async () => {
    const res = await get('/admin', await signHmac(SECRET, claims()));
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_scope", scope="mcp:read mcp:write mcp:admin", resource_metadata="http://127.0.0.1:9/.well-known/oauth-protected-resource/mcp", error_description="The access token lacks a scope this operation requires", DPoP algs="ES256 ES384 ES512 RS256 RS384 RS512 PS256 PS384 PS512 EdDSA"',
    );
    expect((await get('/admin', await signHmac(SECRET, { ...claims(), scope: 'mcp:admin mcp:write' }))).status).toBe(200);
  });

  it('tool scopes: tools/call of a scoped tool needs the scope (403), other tools do not', async () => {
    const token = await signHmac(SECRET, claims());
    const call = (name: string) =>
      fetch(`${base}/mcp`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name } }),
      });
    expect((await call('echo')).status).toBe(200);
    const denied = await call('admin_ping');
    expect(denied.status).toBe(403);
    expect(denied.headers.get('www-authenticate')).toContain('scope="mcp:read mcp:write mcp:admin"');
  });

  it('A10 exp missing, exp as a string, iat in the future: 401', async () => {
    const { exp: _exp, ...noExp } = claims();
    for (const payload of [noExp, { ...claims(), exp: String(now() + 600) }, { ...claims(), iat: now() + 3600 }]) {
      const res = await get('/protected', handMadeHs256({ alg: 'HS256', typ: 'JWT' }, payload, SECRET));
      expect(res.status).toBe(401);
    }
  });

  it('wrong audience and expired tokens: 401', async () => {
    expect((await get('/protected', await signHmac(SECRET, { ...claims(), aud: 'https://other.example' }))).status).toBe(401);
    const expired = await get('/protected', await signHmac(SECRET, { ...claims(), exp: now() - 120 }));
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({ error: 'invalid_token', error_description: 'The access token expired' });
  });

  it('A4 alg none in any casing: 401', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const token = `${Buffer.from(JSON.stringify({ alg, typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}.`;
      expect((await get('/protected', token)).status).toBe(401);
      expect((await get('/protected', `${token}sig`)).status).toBe(401);
    }
  });

  it('A3 token in the query is never read; header plus query is 400 invalid_request', async () => {
    const token = await signHmac(SECRET, claims());
    expect((await get(`/protected?access_token=${token}`)).status).toBe(401);
    const both = await get(`/protected?access_token=${token}`, token);
    expect(both.status).toBe(400);
    expect(((await both.json()) as { error: string }).error).toBe('invalid_request');
  });
});
