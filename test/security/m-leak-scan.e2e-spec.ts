import { createHash, randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { startExampleServer } from '../../examples/basic/bootstrap.js';
import { TOKEN_MESSAGES } from '../../src/errors/messages.constant.js';
import { OAUTH_MCP_TOKEN_CACHE } from '../../src/oauth-mcp.internal-constants.js';
import { CapturingAuditSink, CapturingLogger, startCapturedNative, startCapturedProxy } from '../support/capture.js';
import { freePort } from '../support/free-port.js';
import { generateTestKey } from '../support/jwks-server.js';
import { OidcStandin } from '../support/oidc-standin.js';
import { authorizeUrl, consentFields, cookieHeader, type ProxyFixture } from '../support/proxy-fixture.js';
import { b64url, handMadeHs256, now, signHmac, signWithKey } from '../support/tokens.js';
import { approve, get, postConsent, upstreamLogin } from './flow-helpers.js';

/*
 * security-cases.md group M (cases 125–130): no secret in any log line (every level), audit event,
 * response body or header; no access log of query strings or Authorization headers; generic JWT
 * failure bodies; no upstream error relayed; no secret-bearing endpoint; SHA-256 keys only.
 *
 * The sentinels are chosen values where the test controls them (the HMAC secret, JWT_SECRET, the
 * upstream client secret and the upstream tokens — served by a loopback OIDC stand-in — the
 * code_verifier and the client's state) and recorded values where the server generates them (the
 * DCR client secret, our code, our access and refresh tokens, the upstream state). A value the
 * protocol must deliver (our code in the redirect to the client, our tokens in the token response,
 * the DCR secret in the registration response, the upstream state in the redirect to the IdP) is
 * allowed in that one response and nowhere else. A SHA-256 prefix is fine.
 */

const REDIRECT = 'http://127.0.0.1:55000/callback';
const sha256 = (v: string) => createHash('sha256').update(v).digest('base64url');

/** Every encoding under which a secret could show up: raw, base64, base64url, hex, URI-encoded. */
function encodings(value: string): string[] {
  const buf = Buffer.from(value, 'utf8');
  return [...new Set([value, buf.toString('base64'), buf.toString('base64url'), buf.toString('hex'), encodeURIComponent(value)])].filter((v) => v.length >= 16);
}

interface Exchange {
  method: string;
  url: string;
  status: number;
  /** Every response header line (Set-Cookie included) and the body. */
  text: string;
  location?: string;
  body: string;
}

/**
 * Records every response the module sends to the test (the wrapped global fetch sees them all; the
 * module's own upstream requests are not to `base` and are left alone).
 */
function recordResponses(base: () => string): { exchanges: Exchange[]; restore(): void } {
  const original = globalThis.fetch;
  const exchanges: Exchange[] = [];
  globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const res = await original(input, init);
    if (url.startsWith(base())) {
      const body = await res.clone().text();
      const headers = [...res.headers.entries()].map(([k, v]) => `${k}: ${v}`).concat(res.headers.getSetCookie().map((c) => `set-cookie: ${c}`));
      exchanges.push({
        method: init?.method ?? 'GET',
        url,
        status: res.status,
        text: `${headers.join('\n')}\n\n${body}`,
        location: res.headers.get('location') ?? undefined,
        body,
      });
    }
    return res;
  }) as typeof fetch;
  return { exchanges, restore: () => (globalThis.fetch = original) };
}

/** Where a sentinel was found: log lines, audit events, responses (by method, path and status). */
function findSentinel(
  value: string,
  where: { logs: CapturingLogger; audit: CapturingAuditSink; exchanges: Exchange[] },
  allowed: (e: Exchange) => boolean = () => false,
) {
  const forms = encodings(value);
  const hit = (text: string) => forms.some((f) => text.includes(f));
  return {
    logs: where.logs.entries.filter((e) => hit(e.text)).map((e) => `[${e.level}] ${e.text.slice(0, 120)}`),
    audit: where.audit.events.filter((e) => hit(JSON.stringify(e))).map((e) => e.type),
    responses: where.exchanges.filter((e) => hit(e.text) && !allowed(e)).map((e) => `${e.method} ${new URL(e.url).pathname} → ${e.status}`),
  };
}

const NOWHERE = { logs: [], audit: [], responses: [] };

describe('M. Logging and secret leakage', () => {
  describe('M125 sentinel scan: native flow (hmac)', () => {
    const HMAC_SECRET = 'SENTINEL-hmac-Q7w3Zp9Xk2Lb5Rt8Vn4Jd6';
    const HMAC_PREVIOUS = 'SENTINEL-prev-H2m9Rw4Tq7Zx1Kp5Bn8Lc3';
    const AUD = 'http://127.0.0.1:9/mcp';
    const logs = new CapturingLogger();
    const audit = new CapturingAuditSink();
    let app: INestApplication;
    let base = '';
    let rec: ReturnType<typeof recordResponses>;
    const presented: string[] = [];

    beforeAll(async () => {
      ({ app, base } = await startCapturedNative(
        {
          provider: 'hmac',
          jwtSecret: HMAC_SECRET,
          jwtSecretPrevious: HMAC_PREVIOUS,
          audience: AUD,
          serverUrl: 'http://127.0.0.1:9',
          scopes: ['mcp:read'],
          auditSink: audit,
        },
        logs,
      ));
      rec = recordResponses(() => base);
      const claims = (extra: Record<string, unknown> = {}) => ({ sub: 'alice', aud: AUD, iat: now(), exp: now() + 600, scope: 'mcp:read', ...extra });
      const rsa = await generateTestKey('RS256', 'other');
      const tokens = [
        await signHmac(HMAC_SECRET, claims()),
        await signHmac(HMAC_PREVIOUS, claims()),
        await signHmac(HMAC_SECRET, claims({ exp: now() - 3600 })),
        await signHmac(HMAC_SECRET, claims({ aud: 'https://other.example' })),
        await signHmac(HMAC_SECRET, claims(), {}, 'HS512'),
        await signHmac('SENTINEL-wrong-Zk3Wq8Rt1Yb6Nc9Lm2Xp5', claims()),
        await signWithKey(rsa, claims()),
        handMadeHs256({ alg: 'HS256', typ: 'JWT' }, { ...claims(), sub: 'admin' }, 'SENTINEL-forged-Pq7Wm2Zx9Nv4Lk1Rt6Ys3'),
        `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims())}.`,
      ];
      presented.push(...tokens);
      for (const token of tokens) {
        await fetch(`${base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
        await fetch(`${base}/mcp?access_token=${token}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
        await fetch(`${base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${token}`, origin: 'http://evil.com' } });
      }
      await fetch(`${base}/mcp`, { method: 'POST' });
      await fetch(`${base}/.well-known/oauth-protected-resource/mcp`);
    });
    afterAll(async () => {
      rec.restore();
      await app.close();
    });

    it('M125 the flow ran (valid, rotated and invalid tokens) and every log level was captured, debug included', () => {
      expect(rec.exchanges.map((e) => e.status)).toEqual(expect.arrayContaining([201, 401, 400, 403]));
      expect(logs.entries.some((e) => e.level === 'debug' && /Token rejected \(sha256:[0-9a-f]{12}\)/.test(e.text))).toBe(true);
      expect(audit.events.some((e) => e.type === 'authorization_denied')).toBe(true);
    });

    it('M125 the HMAC secret and the previous secret appear in no log line, audit event, response body or header', () => {
      for (const secret of [HMAC_SECRET, HMAC_PREVIOUS]) expect(findSentinel(secret, { logs, audit, exchanges: rec.exchanges })).toEqual(NOWHERE);
    });

    it('M125 no presented token (valid or not) appears anywhere, in any encoding; logs carry a SHA-256 prefix instead', () => {
      for (const token of presented) expect(findSentinel(token, { logs, audit, exchanges: rec.exchanges })).toEqual(NOWHERE);
      // Nor its signature part alone (the part that is a secret-derived value).
      for (const token of presented.filter((t) => t.split('.')[2]))
        expect(findSentinel(token.split('.')[2], { logs, audit, exchanges: rec.exchanges })).toEqual(NOWHERE);
    });

    it('M130 the validated-token cache is keyed by SHA-256: no raw token among its keys', () => {
      const lru = (app.get(OAUTH_MCP_TOKEN_CACHE) as unknown as { lru: { keys(): IterableIterator<string> } }).lru;
      const keys = [...lru.keys()];
      expect(keys.length).toBeGreaterThanOrEqual(2);
      expect(keys.every((k) => /^[A-Za-z0-9_-]{43}$/.test(k))).toBe(true);
      expect(keys).toEqual(expect.arrayContaining([sha256(presented[0]), sha256(presented[1])]));
      expect(keys.filter((k) => presented.some((t) => t.includes(k) || k.includes(t)))).toEqual([]);
    });

    it('M126 no access log: no query string, no Authorization header value, no token-bearing URL is ever logged', () => {
      const text = logs.text();
      expect(text).not.toMatch(/access_token=/);
      expect(text).not.toMatch(/\b(Bearer|Basic) [A-Za-z0-9]/);
      expect(text).not.toMatch(/\/mcp\?/);
    });
  });

  describe('M125 sentinel scan: proxy flow (stand-in upstream with chosen secrets)', () => {
    const JWT_SECRET = 'SENTINEL-jwt-H4v8Nq2Wm6Xr9Kc1Tz5Bf3';
    const UPSTREAM_SECRET = 'SENTINEL-upstream-T5y7Ub3Ja0Qe8Wr2Zn6';
    const UPSTREAM_ACCESS = `SENTINEL-upstream-access-${randomBytes(12).toString('base64url')}`;
    const UPSTREAM_REFRESH = `SENTINEL-upstream-refresh-${randomBytes(12).toString('base64url')}`;
    const VERIFIER = `SENTINEL-verifier-${randomBytes(24).toString('base64url')}`;
    const VERIFIER_2 = `SENTINEL-verifier2-${randomBytes(24).toString('base64url')}`;
    const CLIENT_STATE = `SENTINEL-client-state-${randomBytes(8).toString('base64url')}`;
    const challenge = (v: string) => createHash('sha256').update(v).digest('base64url');

    const logs = new CapturingLogger();
    const audit = new CapturingAuditSink();
    let standin: OidcStandin;
    let f: ProxyFixture;
    let rec: ReturnType<typeof recordResponses>;
    /** Server-generated values, recorded as the flow produces them. */
    const seen = {
      dcrSecret: '',
      codes: [] as string[],
      upstreamStates: [] as string[],
      accessTokens: [] as string[],
      refreshTokens: [] as string[],
      csrfTokens: [] as string[],
    };

    const token = (params: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${f.base}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(params),
      });

    /** authorize → consent (approve) → stand-in → callback; returns our code. */
    async function signIn(clientId: string, verifier: string): Promise<string> {
      const url = authorizeUrl(f, {
        client_id: clientId,
        redirect_uri: REDIRECT,
        code_challenge: challenge(verifier),
        resource: f.resource,
        state: CLIENT_STATE,
        scope: 'mcp:read mcp:write',
      });
      const page = await get(url);
      const html = await page.text();
      seen.csrfTokens.push(consentFields(html).csrf_token);
      const approval = await postConsent(f, { ...consentFields(html), decision: 'approve' }, cookieHeader(page));
      const upstream = new URL(approval.headers.get('location')!);
      seen.upstreamStates.push(upstream.searchParams.get('state')!);
      const back = await upstreamLogin(f, upstream);
      const cb = await get(back.href, cookieHeader(approval, cookieHeader(page)));
      expect(cb.status).toBe(302);
      const code = new URL(cb.headers.get('location')!).searchParams.get('code')!;
      seen.codes.push(code);
      return code;
    }

    beforeAll(async () => {
      standin = await new OidcStandin({
        clientId: 'mcp-proxy',
        clientSecret: UPSTREAM_SECRET,
        accessToken: UPSTREAM_ACCESS,
        refreshToken: UPSTREAM_REFRESH,
        subject: 'alice',
      }).start();
      f = await startCapturedProxy(standin.asDevIdp, logs, { jwtSecret: JWT_SECRET, auditSink: audit, consentRememberDays: 0 });
      rec = recordResponses(() => f.base);

      // Discovery documents.
      for (const path of [
        '/.well-known/oauth-authorization-server',
        '/.well-known/openid-configuration',
        '/.well-known/jwks.json',
        '/.well-known/oauth-protected-resource/mcp',
      ]) {
        await fetch(`${f.base}${path}`);
      }
      // A confidential DCR client (client_secret_basic).
      const reg = await fetch(`${f.base}/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: [REDIRECT], client_name: 'Leak scan app', token_endpoint_auth_method: 'client_secret_basic' }),
      });
      const registered = (await reg.json()) as { client_id: string; client_secret: string };
      seen.dcrSecret = registered.client_secret;
      const auth = { authorization: `Basic ${Buffer.from(`${registered.client_id}:${registered.client_secret}`).toString('base64')}` };

      // Flow A: code → tokens → /mcp → refresh → reuse of the old refresh token (grant revoked).
      const codeA = await signIn(registered.client_id, VERIFIER);
      await token(
        { grant_type: 'authorization_code', code: codeA, code_verifier: VERIFIER, redirect_uri: REDIRECT, resource: f.resource },
        { ...auth, authorization: `Basic ${Buffer.from(`${registered.client_id}:wrong-secret`).toString('base64')}` },
      );
      const a = (await (await token({ grant_type: 'authorization_code', code: codeA, code_verifier: VERIFIER, redirect_uri: REDIRECT }, auth)).json()) as {
        access_token: string;
        refresh_token: string;
      };
      seen.accessTokens.push(a.access_token);
      seen.refreshTokens.push(a.refresh_token);
      await fetch(`${f.base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${a.access_token}` } });
      await token({ grant_type: 'authorization_code', code: codeA, code_verifier: VERIFIER, redirect_uri: REDIRECT }, auth); // replay
      const b = (await (await token({ grant_type: 'refresh_token', refresh_token: a.refresh_token, scope: 'mcp:read' }, auth)).json()) as {
        access_token?: string;
        refresh_token?: string;
      };
      if (b.access_token) seen.accessTokens.push(b.access_token);
      if (b.refresh_token) seen.refreshTokens.push(b.refresh_token);

      // Flow B (public static client): a wrong verifier, then a valid one for a fresh code, refresh, reuse, revoke.
      const codeB = await signIn('native-app', VERIFIER_2);
      await token({ grant_type: 'authorization_code', code: codeB, code_verifier: VERIFIER, redirect_uri: REDIRECT, client_id: 'native-app' });
      const codeC = await signIn('native-app', VERIFIER_2);
      const c = (await (
        await token({ grant_type: 'authorization_code', code: codeC, code_verifier: VERIFIER_2, redirect_uri: REDIRECT, client_id: 'native-app' })
      ).json()) as { access_token: string; refresh_token: string };
      seen.accessTokens.push(c.access_token);
      seen.refreshTokens.push(c.refresh_token);
      await fetch(`${f.base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${c.access_token}` } });
      const d = (await (await token({ grant_type: 'refresh_token', refresh_token: c.refresh_token, client_id: 'native-app' })).json()) as {
        access_token: string;
        refresh_token: string;
      };
      seen.accessTokens.push(d.access_token);
      seen.refreshTokens.push(d.refresh_token);
      await token({ grant_type: 'refresh_token', refresh_token: c.refresh_token, client_id: 'native-app' }); // reuse → family revoked
      await fetch(`${f.base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${d.access_token}` } }); // revoked → 401
      const codeD = await signIn('native-app', VERIFIER_2);
      const e = (await (
        await token({ grant_type: 'authorization_code', code: codeD, code_verifier: VERIFIER_2, redirect_uri: REDIRECT, client_id: 'native-app' })
      ).json()) as { access_token: string; refresh_token: string };
      seen.accessTokens.push(e.access_token);
      seen.refreshTokens.push(e.refresh_token);
      await fetch(`${f.base}/oauth/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: e.refresh_token, client_id: 'native-app' }),
      });
      await fetch(`${f.base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${e.access_token}` } });
      // The upstream ID token presented as an access token, and error paths of the browser leg.
      await fetch(`${f.base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${standin.idTokens[0]}` } });
      await get(`${f.base}/oauth/callback?code=${encodeURIComponent(codeA)}&state=${encodeURIComponent(seen.upstreamStates[0])}`);
      const denied = await get(
        authorizeUrl(f, { client_id: 'native-app', redirect_uri: REDIRECT, code_challenge: challenge(VERIFIER_2), state: CLIENT_STATE }),
      );
      await postConsent(f, { ...consentFields(await denied.text()), decision: 'deny' }, cookieHeader(denied));
    });
    afterAll(async () => {
      rec.restore();
      await f.close();
      await standin.stop();
    });

    const where = () => ({ logs, audit, exchanges: rec.exchanges });
    const path = (e: Exchange) => new URL(e.url).pathname;

    it('M125 the flow ran end to end: tokens issued, refreshed, reused, revoked; every audit event type of the flow was emitted', () => {
      expect(seen.codes).toHaveLength(4);
      // a, c, d, e (the refresh of a fails: the replay of code A revoked its grant).
      expect(seen.accessTokens).toHaveLength(4);
      expect(standin.tokenRequests).toBe(4);
      const types = new Set(audit.events.map((e) => e.type));
      for (const t of [
        'client_registered',
        'consent_granted',
        'consent_denied',
        'sign_in',
        'token_issued',
        'token_refreshed',
        'refresh_token_reuse',
        'code_replay',
        'token_revoked',
        'authorization_denied',
      ] as const) {
        expect({ t, emitted: types.has(t) }).toEqual({ t, emitted: true });
      }
    });

    it('M125 JWT_SECRET and the upstream client secret appear nowhere (logs at every level, audit events, responses, in any encoding)', () => {
      expect(findSentinel(JWT_SECRET, where())).toEqual(NOWHERE);
      expect(findSentinel(UPSTREAM_SECRET, where())).toEqual(NOWHERE);
      // The module did send it upstream (so the scan is meaningful).
      expect(standin.tokenBodies.join('\n')).toContain(encodeURIComponent(UPSTREAM_SECRET));
    });

    it('M125 the upstream tokens (access, refresh, ID token) never leave the server', () => {
      for (const t of [UPSTREAM_ACCESS, UPSTREAM_REFRESH, ...standin.idTokens]) expect(findSentinel(t, where())).toEqual(NOWHERE);
    });

    it('M125 the DCR client secret appears only in the registration response', () => {
      expect(seen.dcrSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(findSentinel(seen.dcrSecret, where(), (e) => path(e) === '/oauth/register' && e.status === 201)).toEqual(NOWHERE);
    });

    it('M125 the code_verifiers and the client state: the verifiers nowhere, the state only in redirects to the client', () => {
      for (const v of [VERIFIER, VERIFIER_2]) expect(findSentinel(v, where())).toEqual(NOWHERE);
      expect(
        findSentinel(CLIENT_STATE, where(), (e) => (e.location ?? '').startsWith(REDIRECT) && new URL(e.location!).searchParams.get('state') === CLIENT_STATE),
      ).toEqual(NOWHERE);
    });

    it('M125 our codes appear only in the callback redirect to the client; our access and refresh tokens only in token responses', () => {
      for (const code of seen.codes) {
        expect(
          findSentinel(code, where(), (e) => path(e) === '/oauth/callback' && e.status === 302 && new URL(e.location!).searchParams.get('code') === code),
        ).toEqual(NOWHERE);
      }
      for (const t of [...seen.accessTokens, ...seen.refreshTokens]) {
        expect(
          findSentinel(
            t,
            where(),
            (e) => path(e) === '/oauth/token' && e.status === 200 && JSON.parse(e.body)[t.includes('.') ? 'access_token' : 'refresh_token'] === t,
          ),
        ).toEqual(NOWHERE);
      }
    });

    it('M125 the upstream state appears only in the redirect to the IdP; CSRF tokens only in their consent page', () => {
      for (const s of seen.upstreamStates) {
        expect(
          findSentinel(s, where(), (e) => path(e) === '/oauth/consent' && e.status === 303 && new URL(e.location!).searchParams.get('state') === s),
        ).toEqual(NOWHERE);
      }
      for (const csrf of seen.csrfTokens)
        expect(findSentinel(csrf, where(), (e) => path(e) === '/oauth/authorize' && e.status === 200 && e.body.includes(csrf))).toEqual(NOWHERE);
    });

    it('M126 no access log: neither the query of /oauth/callback or /oauth/authorize nor an Authorization header is logged', () => {
      const text = logs.text();
      expect(text).not.toMatch(/\/oauth\/(callback|authorize)\?/);
      expect(text).not.toMatch(/[?&](code|state|code_challenge|client_id)=/);
      expect(text).not.toMatch(/\b(Bearer|Basic) [A-Za-z0-9]/);
      expect(logs.entries.length).toBeGreaterThan(0);
    });

    it('M125 audit events carry hashes, not secrets: every tokenHash is a 12-character SHA-256 prefix', () => {
      const hashes = audit.events.map((e) => e.tokenHash).filter((h): h is string => h !== undefined);
      expect(hashes.length).toBeGreaterThan(0);
      expect(hashes.every((h) => /^[A-Za-z0-9_-]{12}$/.test(h))).toBe(true);
      for (const code of seen.codes) {
        expect(audit.text()).not.toContain(code);
      }
      expect(hashes).toContain(sha256(seen.codes[0]).slice(0, 12));
    });

    it('M130 store keys hold hashes only: no raw code, token, refresh token, state, CSRF token or secret among them', async () => {
      const keys = f.store.keys();
      const raw = [
        ...seen.codes,
        ...seen.accessTokens,
        ...seen.refreshTokens,
        ...seen.upstreamStates,
        ...seen.csrfTokens,
        CLIENT_STATE,
        seen.dcrSecret,
        JWT_SECRET,
        UPSTREAM_SECRET,
        UPSTREAM_ACCESS,
        UPSTREAM_REFRESH,
      ];
      expect(keys.filter((k) => raw.some((r) => k.includes(r)))).toEqual([]);
      // The hashed forms are there: refresh tokens and codes are found by SHA-256.
      expect(keys).toEqual(expect.arrayContaining([`rt:${sha256(seen.refreshTokens.at(-1)!)}`, `code-used:${sha256(seen.codes[0])}`]));
    });

    it('M130 store values hold no secret in the clear: upstream tokens are sealed, our tokens, codes and secrets are never stored', async () => {
      const values = await Promise.all(f.store.keys().map(async (k) => `${k} = ${JSON.stringify(await f.store.get(k))}`));
      const secrets = [
        JWT_SECRET,
        UPSTREAM_SECRET,
        UPSTREAM_ACCESS,
        UPSTREAM_REFRESH,
        ...standin.idTokens,
        seen.dcrSecret,
        ...seen.codes,
        ...seen.accessTokens,
        ...seen.refreshTokens,
        VERIFIER,
        VERIFIER_2,
      ];
      expect(values.filter((v) => secrets.some((s) => encodings(s).some((enc) => v.includes(enc))))).toEqual([]);
      expect(values.some((v) => v.startsWith('upstream-tokens:') && /"v1\.[A-Za-z0-9_-]+\./.test(v))).toBe(true);
    });

    it('M130 the validated-token cache (proxy mode) is keyed by SHA-256 only', () => {
      const keys = [...(f.app.get(OAUTH_MCP_TOKEN_CACHE) as unknown as { lru: { keys(): IterableIterator<string> } }).lru.keys()];
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.every((k) => /^[A-Za-z0-9_-]{43}$/.test(k))).toBe(true);
      expect(keys).toContain(sha256(seen.accessTokens[0]));
    });
  });

  describe('M127 JWT failure bodies are generic', () => {
    const SECRET = 'SENTINEL-m127-Wk4Zq8Np2Rx6Tb9Lm3Yc7';
    const ISS = 'https://issuer.test';
    const AUD = 'http://127.0.0.1:9/mcp';
    let app: INestApplication;
    let base = '';
    beforeAll(async () => {
      ({ app, base } = await startCapturedNative(
        { provider: 'hmac', jwtSecret: SECRET, issuer: ISS, audience: AUD, serverUrl: 'http://127.0.0.1:9' },
        new CapturingLogger(),
      ));
    });
    afterAll(() => app.close());

    it('M127 every rejected token gets {error: invalid_token, error_description: <a fixed sentence>} and nothing else: no token, key, stack, cause or library message', async () => {
      const claims = (extra: Record<string, unknown> = {}) => ({ sub: 'alice', iss: ISS, aud: AUD, iat: now(), exp: now() + 600, ...extra });
      const rsa = await generateTestKey('RS256', 'k');
      // Control: the same claims, correctly signed, are accepted.
      expect((await fetch(`${base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${await signHmac(SECRET, claims())}` } })).status).toBe(201);
      const tokens = {
        expired: await signHmac(SECRET, claims({ exp: now() - 3600 })),
        notYet: await signHmac(SECRET, claims({ nbf: now() + 3600 })),
        audience: await signHmac(SECRET, claims({ aud: 'https://elsewhere.example' })),
        issuer: await signHmac(SECRET, claims({ iss: 'https://evil.example' })),
        signature: await signHmac('SENTINEL-other-Zq2Wm7Xp4Rt9Kb6Ln1Yc5', claims()),
        algorithm: await signWithKey(rsa, claims()),
        hs512: await signHmac(SECRET, claims(), {}, 'HS512'),
        none: `${b64url({ alg: 'none' })}.${b64url(claims())}.`,
        malformed: 'a.b.c',
        notJson: `${b64url('not json')}.${b64url(claims())}.c2ln`,
        payloadArray: `${b64url({ alg: 'HS256' })}.W10.c2ln`,
        crit: handMadeHs256({ alg: 'HS256', crit: ['x-evil'], 'x-evil': 1 }, claims(), SECRET),
        jku: handMadeHs256({ alg: 'HS256', jku: 'https://attacker.example/jwks.json' }, claims(), SECRET),
        missingSub: await signHmac(SECRET, { iss: ISS, aud: AUD, exp: now() + 600 }),
        stringExp: handMadeHs256({ alg: 'HS256', typ: 'JWT' }, { sub: 'a', iss: ISS, aud: AUD, exp: '4102444800' }, SECRET),
        huge: `${b64url({ alg: 'HS256' })}.${'A'.repeat(9000)}.sig`,
      };
      const allowed = new Set<string>(Object.values(TOKEN_MESSAGES));
      for (const [label, token] of Object.entries(tokens)) {
        const res = await fetch(`${base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
        const text = await res.text();
        const body = JSON.parse(text) as Record<string, unknown>;
        expect({ label, status: res.status, keys: Object.keys(body).sort(), error: body.error }).toEqual({
          label,
          status: 401,
          keys: ['error', 'error_description'],
          error: 'invalid_token',
        });
        expect({ label, generic: allowed.has(body.error_description as string) }).toEqual({ label, generic: true });
        const everything = `${text}\n${[...res.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n')}`;
        expect(everything).not.toContain(token.slice(0, 40));
        expect(everything).not.toContain(SECRET);
        expect(everything).not.toMatch(
          /stack|cause|error_detail|jwt (expired|malformed|audience|issuer|signature)|invalid (signature|algorithm|token)\b|at [A-Za-z.]+ \(|node_modules/i,
        );
      }
    });
  });

  describe('M128 an upstream error that echoes the client secret is never relayed', () => {
    const UPSTREAM_SECRET = 'SENTINEL-m128-Hn3Qw8Zr1Xt6Kp9Lb4Vm2';
    const VERIFIER = randomBytes(32).toString('base64url');
    const logs = new CapturingLogger();
    let standin: OidcStandin;
    let f: ProxyFixture;
    beforeAll(async () => {
      standin = await new OidcStandin({ clientId: 'mcp-proxy', clientSecret: UPSTREAM_SECRET }).start();
      f = await startCapturedProxy(standin.asDevIdp, logs, { jwtSecret: 'SENTINEL-m128jwt-Tq5Wn2Zk8Xr3Lp7Bc1' });
    });
    afterAll(async () => {
      await f.close();
      await standin.stop();
    });

    async function failedCallback(mode: 'echo-400' | 'error-500') {
      standin.tokenMode = mode;
      const pending = await approve(
        f,
        authorizeUrl(f, {
          client_id: 'native-app',
          redirect_uri: REDIRECT,
          code_challenge: createHash('sha256').update(VERIFIER).digest('base64url'),
          state: 'st',
        }),
      );
      const back = await upstreamLogin(f, pending.upstream);
      const before = logs.entries.length;
      const res = await get(back.href, pending.cookies);
      return {
        res,
        html: await res.text(),
        newLogs: logs.entries
          .slice(before)
          .map((e) => `[${e.level}] ${e.text}`)
          .join('\n'),
      };
    }

    it.each(['echo-400', 'error-500'] as const)(
      'M128 upstream token endpoint %s with the client secret in its body → a generic page; the body, the secret and the upstream text are neither shown nor logged',
      async (mode) => {
        const { res, html, newLogs } = await failedCallback(mode);
        expect(res.status).toBe(502);
        expect(res.headers.get('location')).toBeNull();
        expect(html).toContain('The identity provider could not complete the sign-in');
        for (const text of [html, [...res.headers.values()].join('\n'), newLogs]) {
          expect(text).not.toContain(UPSTREAM_SECRET);
          expect(text).not.toContain(encodeURIComponent(UPSTREAM_SECRET));
          expect(text).not.toMatch(/client authentication failed for secret|Internal error|received/);
        }
        expect(standin.tokenBodies.at(-1)).toContain(encodeURIComponent(UPSTREAM_SECRET));
      },
    );

    it('M128 the error code shown for an upstream failure is a generic server_error (or invalid_grant), not invalid_request', async () => {
      const { html } = await failedCallback('echo-400');
      const code = /<strong>([a-z_]+)<\/strong>/.exec(html)?.[1];
      expect(['server_error', 'invalid_grant', 'temporarily_unavailable']).toContain(code);
    });
  });

  describe('M129 secrets in endpoints', () => {
    it('M129 the DCR response holds only the new client’s data; there is no endpoint that reads a client back', async () => {
      const standin = await new OidcStandin({ clientId: 'mcp-proxy', clientSecret: 'SENTINEL-m129up-Wq2Zn7Xk4Rt9Lb1Yc6Mp3' }).start();
      const f = await startCapturedProxy(standin.asDevIdp, new CapturingLogger(), { jwtSecret: 'SENTINEL-m129jwt-Hv5Nq8Wm1Xr4Kc7Tz2Bf' });
      try {
        const register = async (extra: Record<string, unknown>) => {
          const res = await fetch(`${f.base}/oauth/register`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ redirect_uris: [REDIRECT], client_name: 'A', ...extra }),
          });
          return { status: res.status, text: await res.text() };
        };
        const first = await register({
          token_endpoint_auth_method: 'client_secret_post',
          client_id: 'admin-client',
          client_secret: 'chosen',
          jwks_uri: 'https://a.example/jwks',
        });
        const second = await register({ token_endpoint_auth_method: 'none', software_statement: 'x' });
        const one = JSON.parse(first.text) as Record<string, unknown>;
        const two = JSON.parse(second.text) as Record<string, unknown>;
        expect([first.status, second.status]).toEqual([201, 201]);
        const ALLOWED = [
          'client_id',
          'client_id_issued_at',
          'redirect_uris',
          'token_endpoint_auth_method',
          'grant_types',
          'response_types',
          'client_name',
          'scope',
          'client_secret',
          'client_secret_expires_at',
        ];
        expect(Object.keys(one).filter((k) => !ALLOWED.includes(k))).toEqual([]);
        expect(Object.keys(two).filter((k) => !ALLOWED.includes(k))).toEqual([]);
        expect(two).not.toHaveProperty('client_secret');
        expect(second.text).not.toContain(one.client_id as string);
        expect(second.text).not.toContain(one.client_secret as string);
        expect(first.text).not.toMatch(/client_secret_hash|admin-client|"chosen"|SENTINEL|jwtSecret|clientSecret/);
        // No RFC 7592 client configuration endpoint: nothing reads a client back.
        for (const [method, url] of [
          ['GET', `${f.base}/oauth/register/${one.client_id}`],
          ['GET', `${f.base}/oauth/register?client_id=${one.client_id}`],
          ['GET', `${f.base}/oauth/register`],
          ['PUT', `${f.base}/oauth/register/${one.client_id}`],
          ['DELETE', `${f.base}/oauth/register/${one.client_id}`],
        ]) {
          const res = await fetch(url, { method });
          const text = await res.text();
          expect({ method, url, status: res.status >= 400 && res.status < 500 }).toEqual({ method, url, status: true });
          expect(text).not.toContain(one.client_secret as string);
          expect(text).not.toContain('redirect_uris');
        }
      } finally {
        await f.close();
        await standin.stop();
      }
    });

    it.each(['native (hmac)', 'proxy (oidc stand-in)'])(
      'M129 the example app’s health endpoints and startup log never dump the configuration: %s',
      async (mode) => {
        const JWT_SECRET = 'SENTINEL-health-Kq7Vm2Zp9XwR4tYb8NcL';
        const UPSTREAM_SECRET = 'SENTINEL-health-up-Lb3Wq8Zn1Xt6Rp9Vc4';
        const standin = await new OidcStandin({ clientId: 'mcp-proxy', clientSecret: UPSTREAM_SECRET }).start();
        const port = await freePort();
        const base = `http://localhost:${port}`;
        const env: Record<string, string> =
          mode === 'native (hmac)'
            ? { OAUTH_PROVIDER: 'hmac', JWT_SECRET, OIDC_AUDIENCE: `${base}/mcp` }
            : {
                OAUTH_MODE: 'proxy',
                OAUTH_PROVIDER: 'oidc',
                OIDC_ISSUER: standin.issuer,
                OIDC_CLIENT_ID: 'mcp-proxy',
                OIDC_CLIENT_SECRET: UPSTREAM_SECRET,
                JWT_SECRET,
              };
        const logger = new CapturingLogger();
        const app = await startExampleServer({ env: { MCP_PORT: String(port), MCP_URL: base, ...env }, logger });
        try {
          const bodies: string[] = [];
          for (const path of [
            '/health/live',
            '/health/ready',
            '/.well-known/oauth-protected-resource/mcp',
            '/.well-known/oauth-authorization-server',
            '/.well-known/openid-configuration',
            '/.well-known/jwks.json',
            '/nope',
            '/mcp',
          ]) {
            const res = await fetch(`${base}${path}`);
            bodies.push(`${path} ${res.status}\n${[...res.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${await res.text()}`);
          }
          const ready = bodies[1];
          expect(ready).toMatch(/^\/health\/ready 200/);
          const all = `${bodies.join('\n')}\n${logger.text()}`;
          for (const secret of [JWT_SECRET, UPSTREAM_SECRET]) for (const form of encodings(secret)) expect(all).not.toContain(form);
          expect(all).not.toMatch(/jwtSecret|clientSecret|client_secret"|JWT_SECRET=|OIDC_CLIENT_SECRET=/);
        } finally {
          await app.close();
          await standin.stop();
        }
      },
    );
  });
});
