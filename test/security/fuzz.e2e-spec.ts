import { connect } from 'node:net';
import { authorizeUrl, consentFields, pkce, startProxyFixture, type ProxyFixture } from '../support/proxy-fixture.js';
import { destroyAgents, rawRequest } from '../support/raw-http.js';
import { approve, upstreamLogin, upstreamTokenRecorder } from './flow-helpers.js';

/*
 * Fuzzing every parameter of every endpoint: authorize, consent, callback, token (form and JSON),
 * register, revoke, the well-known documents and the /mcp Authorization header. Each parameter gets
 * fixed hostile values (NUL, CRLF, arrays, `x[$ne]`-style objects, prototype keys, malformed percent
 * escapes, invalid UTF-8, unicode, oversized values) and random bytes from a seeded PRNG, one parameter
 * at a time on top of an otherwise valid request. Every answer must be 2xx/3xx (valid request) or 4xx,
 * never 5xx, and a redirect may only go to the registered redirect URI or the upstream IdP.
 *
 * Reproduce a failure with the seed printed in the test names: FUZZ_SEED=<seed> npm test -- test/security/fuzz.e2e-spec.ts
 * The number of requests is bounded (about 1,500) so the file runs in well under 30 s.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed1234);
const RANDOM_PER_PARAM = 6;
const REDIRECT = 'http://127.0.0.1:56000/callback';

/** mulberry32: a small seeded PRNG, so a failing value can be reproduced. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(SEED);
const int = (max: number) => Math.floor(rand() * max);
const randomBytes = (n: number) => Array.from({ length: n }, () => int(256));
const pct = (bytes: number[]) => bytes.map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join('');

/** A query/form fragment for parameter `name`: already encoded, possibly several pairs. */
interface Fuzz {
  kind: string;
  fragment: (name: string) => string;
}

const value = (kind: string, encoded: string): Fuzz => ({ kind, fragment: (n) => `${n}=${encoded}` });

/** Fixed hostile values plus seeded random bytes; `size` bounds oversized values (URLs stay under Node's 16 KB header limit). */
function fuzzValues(size: number): Fuzz[] {
  const fixed: Fuzz[] = [
    value('empty', ''),
    value('NUL', '%00'),
    value('NUL inside', 'a%00b'),
    value('CRLF', 'a%0D%0ASet-Cookie:%20x=1'),
    value('malformed %', '%'),
    value('malformed %zz', '%zz%E0%A4%A'),
    value('invalid UTF-8 (lone surrogate, overlong, stray continuation)', '%ED%A0%80%C0%AF%80%FF'),
    value('unicode', encodeURIComponent('ñ漢字🙂\u202Eevil\u0301\uFEFF')),
    value('html', encodeURIComponent('"><script>alert(1)</script>')),
    value('path traversal', encodeURIComponent('../../../etc/passwd')),
    value('javascript url', encodeURIComponent('javascript:alert(1)//')),
    value('numbers', '1e309'),
    value('json-ish', encodeURIComponent('{"$ne":1}')),
    value('oversized', 'A'.repeat(size)),
    value('oversized unicode', encodeURIComponent('é'.repeat(Math.floor(size / 6)))),
    { kind: 'array x[]', fragment: (n) => `${n}[]=a&${n}[]=b` },
    { kind: 'duplicate x=a&x=b', fragment: (n) => `${n}=a&${n}=b` },
    { kind: 'object x[$ne]', fragment: (n) => `${n}[$ne]=1` },
    { kind: 'nested object', fragment: (n) => `${n}[a][b][c]=1` },
    { kind: '__proto__', fragment: (n) => `${n}[__proto__][polluted]=1&__proto__[${n}]=x` },
    { kind: 'constructor.prototype', fragment: (n) => `${n}[constructor][prototype][polluted]=1` },
    { kind: 'name only', fragment: (n) => n },
  ];
  const random: Fuzz[] = Array.from({ length: RANDOM_PER_PARAM }, (_, i) => {
    const bytes = randomBytes(1 + int(i === 0 ? 1024 : 96));
    return value(`random bytes #${i} (${bytes.length})`, pct(bytes));
  });
  return [...fixed, ...random];
}

/** Decodes %XX escapes to bytes (leaving malformed ones as they are), for values that go in headers or JSON. */
function decodeBytes(encoded: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    if (encoded[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(encoded.slice(i + 1, i + 3))) {
      out.push(parseInt(encoded.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(...Buffer.from(encoded[i], 'utf8'));
  }
  return Buffer.from(out);
}

/** Builds `base` (encoded) with `name` replaced by the fuzz fragment. */
function withFuzz(base: Record<string, string>, name: string, fuzz: Fuzz): string {
  const rest = Object.entries(base)
    .filter(([k]) => k !== name)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return [...rest, fuzz.fragment(name)].join('&');
}

/** Random JSON values: strings with control characters and lone surrogates, extreme numbers, nesting, prototype keys. */
function randomJson(depth = 0): unknown {
  switch (int(depth > 2 ? 4 : 7)) {
    case 0:
      return String.fromCharCode(...Array.from({ length: int(40) }, () => (rand() < 0.2 ? 0xd800 + int(0x800) : int(0x3000))));
    case 1:
      return [0, -0, 1e308, -1e308, 2 ** 53 + 1, 0.1, -1][int(7)];
    case 2:
      return [true, false, null][int(3)];
    case 3:
      return '';
    case 4:
      return Array.from({ length: int(4) }, () => randomJson(depth + 1));
    case 5:
      return { $ne: 1, ['__proto__']: { polluted: true }, constructor: { prototype: { x: 1 } }, [String.fromCharCode(int(0x3000))]: randomJson(depth + 1) };
    default:
      return { a: randomJson(depth + 1) };
  }
}

function jsonValues(): { kind: string; value: unknown }[] {
  return [
    { kind: 'null', value: null },
    { kind: 'number', value: 1e308 },
    { kind: 'boolean', value: true },
    { kind: 'object $ne', value: { $ne: 1 } },
    { kind: 'array', value: ['a', 'b'] },
    { kind: 'array of arrays', value: [['https://a.example/cb']] },
    { kind: 'NUL string', value: 'a\u0000b' },
    { kind: 'lone surrogate', value: '\ud800' },
    { kind: 'huge string (200 KB)', value: 'x'.repeat(200_000) },
    { kind: 'long string (50 KB)', value: 'y'.repeat(50_000) },
    ...Array.from({ length: RANDOM_PER_PARAM }, (_, i) => ({ kind: `random json #${i}`, value: randomJson() })),
  ];
}

interface Failure {
  endpoint: string;
  param: string;
  kind: string;
  status: number;
  detail?: string;
}

describe(`fuzz: every parameter of every endpoint → never 5xx (seed ${SEED})`, () => {
  let f: ProxyFixture;
  const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
  let count = 0;
  beforeAll(async () => {
    f = await startProxyFixture();
  });
  afterAll(async () => {
    destroyAgents();
    await f.close();
  });

  /** A redirect may only point at the registered redirect URI or the upstream IdP. */
  const safeLocation = (location: string | string[] | undefined) =>
    location === undefined || (typeof location === 'string' && (location.startsWith(`${REDIRECT}?`) || location.startsWith(`${f.idp.issuer}/`)));

  async function send(
    failures: Failure[],
    endpoint: string,
    param: string,
    kind: string,
    url: string,
    init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ) {
    count++;
    let res;
    try {
      res = await rawRequest(url, init);
    } catch (err) {
      failures.push({ endpoint, param, kind, status: 0, detail: (err as Error).message });
      return undefined;
    }
    if (res.status >= 500 || res.status < 200) failures.push({ endpoint, param, kind, status: res.status, detail: res.body.slice(0, 120) });
    else if (!safeLocation(res.headers.location))
      failures.push({ endpoint, param, kind, status: res.status, detail: `redirect to ${String(res.headers.location).slice(0, 120)}` });
    return res;
  }

  it(`GET /oauth/authorize: each of its 10 parameters fuzzed (seed ${SEED})`, async () => {
    const failures: Failure[] = [];
    const base = {
      response_type: 'code',
      client_id: 'native-app',
      redirect_uri: REDIRECT,
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      state: 'client-state',
      scope: 'mcp:read',
      resource: f.resource,
      prompt: 'consent',
      nonce: 'n',
    };
    for (const name of Object.keys(base)) {
      for (const fuzz of fuzzValues(6000)) await send(failures, 'authorize', name, fuzz.kind, `${f.base}/oauth/authorize?${withFuzz(base, name, fuzz)}`);
    }
    // Unknown extra parameters, and the /authorize alias.
    for (const fuzz of fuzzValues(6000)) await send(failures, '/authorize', 'x-extra', fuzz.kind, `${f.base}/authorize?${withFuzz(base, 'x-extra', fuzz)}`);
    expect(failures).toEqual([]);
  });

  it(`POST /oauth/consent: request_id, csrf_token, decision and the Cookie header fuzzed (seed ${SEED})`, async () => {
    const failures: Failure[] = [];
    for (const name of ['request_id', 'csrf_token', 'decision', 'x-extra']) {
      // A fresh consent page per parameter: the other fields are valid, so the fuzzed one is what decides.
      const page = await rawRequest(authorizeUrl(f, { client_id: 'native-app', redirect_uri: REDIRECT, code_challenge: pkce().challenge }));
      const base = { ...consentFields(page.body), decision: 'approve' };
      const cookie = (Array.isArray(page.headers['set-cookie']) ? page.headers['set-cookie'] : []).map((c) => c.split(';')[0]).join('; ');
      for (const fuzz of fuzzValues(20_000)) {
        await send(failures, 'consent', name, fuzz.kind, `${f.base}/oauth/consent`, {
          method: 'POST',
          headers: { ...FORM, cookie },
          body: withFuzz(base, name, fuzz),
        });
      }
    }
    for (const fuzz of fuzzValues(4000)) {
      const cookie = decodeBytes(fuzz.fragment('mcp_consent_abcdefabcdef'))
        .toString('latin1')
        .replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
      await send(failures, 'consent', 'Cookie', fuzz.kind, `${f.base}/oauth/consent`, {
        method: 'POST',
        headers: { ...FORM, cookie },
        body: 'request_id=x&csrf_token=y&decision=approve',
      });
    }
    expect(failures).toEqual([]);
  });

  it(`GET /oauth/callback: state, code, error, error_description and iss fuzzed without a pending sign-in (seed ${SEED})`, async () => {
    const failures: Failure[] = [];
    const base = { code: 'upstream-code', state: 'unknown-state', iss: f.idp.issuer };
    for (const name of ['state', 'code', 'error', 'error_description', 'iss', 'session_state']) {
      for (const fuzz of fuzzValues(6000)) await send(failures, 'callback', name, fuzz.kind, `${f.base}/oauth/callback?${withFuzz(base, name, fuzz)}`);
    }
    expect(failures).toEqual([]);
  });

  describe('GET /oauth/callback with a valid pending sign-in (state and cookie right), one parameter fuzzed', () => {
    let recorder: Awaited<ReturnType<typeof upstreamTokenRecorder>>;
    beforeAll(async () => {
      recorder = await upstreamTokenRecorder(f);
    });
    afterAll(() => recorder.restore());

    /** A fresh sign-in up to the IdP's redirect back to us (not yet followed). */
    async function pending() {
      const p = await approve(f, authorizeUrl(f, { client_id: 'native-app', redirect_uri: REDIRECT, code_challenge: pkce().challenge }));
      return { back: await upstreamLogin(f, p.upstream), cookies: p.cookies };
    }
    const sample = (all: Fuzz[]) => all.filter((_, i) => i % 4 === 0);

    it.each(['error', 'error_description', 'session_state'])(`callback %s fuzzed with a valid state → never 5xx (seed ${SEED})`, async (name) => {
      const failures: Failure[] = [];
      for (const fuzz of sample(fuzzValues(4000))) {
        const { back, cookies } = await pending();
        const base = Object.fromEntries(back.searchParams);
        await send(failures, 'callback(valid state)', name, fuzz.kind, `${f.base}/oauth/callback?${withFuzz(base, name, fuzz)}`, {
          headers: { cookie: cookies },
        });
      }
      expect(failures).toEqual([]);
    });

    it(`callback code fuzzed with a valid state → 4xx, or 502 only when the upstream was asked and refused the code (seed ${SEED})`, async () => {
      const failures: Failure[] = [];
      for (const fuzz of sample(fuzzValues(4000))) {
        const { back, cookies } = await pending();
        const base = Object.fromEntries(back.searchParams);
        const before = recorder.count();
        const res = await send([], 'callback(valid state)', 'code', fuzz.kind, `${f.base}/oauth/callback?${withFuzz(base, 'code', fuzz)}`, {
          headers: { cookie: cookies },
        });
        if (!res) continue;
        const upstreamAsked = recorder.count() > before;
        if (res.status >= 500 && !(res.status === 502 && upstreamAsked))
          failures.push({ endpoint: 'callback(valid state)', param: 'code', kind: fuzz.kind, status: res.status, detail: `upstream asked: ${upstreamAsked}` });
      }
      expect(failures).toEqual([]);
    });

    it(`callback iss fuzzed with a valid state (a mix-up, detected locally) → 4xx, never 5xx (seed ${SEED})`, async () => {
      const failures: Failure[] = [];
      for (const fuzz of sample(fuzzValues(4000))) {
        const { back, cookies } = await pending();
        const base = Object.fromEntries(back.searchParams);
        const before = recorder.count();
        await send(failures, 'callback(valid state)', 'iss', fuzz.kind, `${f.base}/oauth/callback?${withFuzz(base, 'iss', fuzz)}`, {
          headers: { cookie: cookies },
        });
        expect(recorder.count()).toBe(before);
      }
      expect(failures).toEqual([]);
    });
  });

  it(`POST /oauth/token (form): every parameter of both grants and the Authorization header fuzzed (seed ${SEED})`, async () => {
    const failures: Failure[] = [];
    const verifier = pkce().verifier;
    const grants: Record<string, Record<string, string>> = {
      authorization_code: {
        grant_type: 'authorization_code',
        code: 'some-code',
        code_verifier: verifier,
        redirect_uri: REDIRECT,
        client_id: 'native-app',
        resource: f.resource,
      },
      refresh_token: {
        grant_type: 'refresh_token',
        refresh_token: 'some-refresh-token',
        scope: 'mcp:read',
        client_id: 'web-app',
        client_secret: 'Wq8Wm3Zx7Nv2Lk9Rt4Ys6Hd1Fg5Jc0Bb',
      },
    };
    for (const [grant, base] of Object.entries(grants)) {
      for (const name of Object.keys(base)) {
        for (const fuzz of fuzzValues(20_000)) {
          await send(failures, `token(${grant})`, name, fuzz.kind, `${f.base}/oauth/token`, {
            method: 'POST',
            headers: FORM,
            body: withFuzz(base, name, fuzz),
          });
        }
      }
    }
    const authorizations = [
      'Basic',
      'Basic ',
      'Basic ====',
      'Basic !!!',
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      `Basic ${Buffer.from('web-app:%ZZ').toString('base64')}`,
      `Basic ${Buffer.from(':').toString('base64')}`,
      `Basic ${Buffer.from(`web-app:${'s'.repeat(5000)}`).toString('base64')}`,
      `Basic ${Buffer.from(randomBytes(64)).toString('base64')}`,
      `Basic ${'A'.repeat(8000)}`,
      'Bearer x.y.z',
      'Digest username="x"',
      String.fromCharCode(...randomBytes(60).map((b) => (b < 0x20 || b === 0x7f ? 0x41 : b))),
    ];
    for (const authorization of authorizations) {
      await send(failures, 'token', 'Authorization', authorization.slice(0, 24), `${f.base}/oauth/token`, {
        method: 'POST',
        headers: { ...FORM, authorization: Buffer.from(authorization, 'latin1').toString('latin1') },
        body: 'grant_type=refresh_token&refresh_token=x',
      });
    }
    expect(failures).toEqual([]);
  });

  it(`POST /oauth/token (JSON body, tolerated): every parameter given random JSON values (seed ${SEED})`, async () => {
    const failures: Failure[] = [];
    const base = {
      grant_type: 'authorization_code',
      code: 'c',
      code_verifier: pkce().verifier,
      redirect_uri: REDIRECT,
      client_id: 'native-app',
      refresh_token: 'r',
      scope: 'mcp:read',
      resource: f.resource,
    };
    for (const name of Object.keys(base)) {
      for (const v of jsonValues()) {
        await send(failures, 'token(json)', name, v.kind, `${f.base}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...base, [name]: v.value }),
        });
      }
    }
    for (const body of ['', '{', 'null', '[]', '"x"', '1', '{"a":'.repeat(50), String.fromCharCode(...randomBytes(200))]) {
      await send(failures, 'token(json)', 'body', body.slice(0, 16), `${f.base}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    }
    expect(failures).toEqual([]);
  });

  it(`POST /oauth/register: every metadata member given random JSON values, and hostile bodies and content types (seed ${SEED})`, async () => {
    const failures: Failure[] = [];
    const base: Record<string, unknown> = {
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      client_name: 'Fuzz',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      scope: 'mcp:read',
      application_type: 'native',
    };
    const members = [
      ...Object.keys(base),
      'logo_uri',
      'jwks_uri',
      'jwks',
      'client_id',
      'client_secret',
      'software_statement',
      'sector_identifier_uri',
      'contacts',
      '__proto__',
    ];
    for (const name of members) {
      for (const v of jsonValues()) {
        const body =
          name === '__proto__' ? `{"redirect_uris":["${REDIRECT}"],"__proto__":${JSON.stringify(v.value)}}` : JSON.stringify({ ...base, [name]: v.value });
        const res = await send(failures, 'register', name, v.kind, `${f.base}/oauth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        if (res && res.status !== 201 && res.status !== 400 && res.status !== 413)
          failures.push({ endpoint: 'register', param: name, kind: v.kind, status: res.status });
      }
    }
    // Random strings inside redirect_uris.
    for (const fuzz of fuzzValues(2000)) {
      const uri = decodeBytes(fuzz.fragment('x').slice(2)).toString('utf8').slice(0, 3000);
      await send(failures, 'register', 'redirect_uris[0]', fuzz.kind, `${f.base}/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: [uri] }),
      });
    }
    for (const [contentType, body] of [
      ['application/json', String.fromCharCode(...randomBytes(300))],
      ['application/json', ''],
      ['application/json; charset=utf-16', '{"redirect_uris":[]}'],
      ['application/json; charset=x-unknown', '{}'],
      ['text/plain', '{"redirect_uris":["https://a.example/cb"]}'],
      ['application/x-www-form-urlencoded', 'redirect_uris[]=https://a.example/cb'],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--'],
      ['application/json', `[${'['.repeat(5000)}${']'.repeat(5000)}]`],
    ] as const) {
      await send(failures, 'register', 'body', contentType, `${f.base}/oauth/register`, { method: 'POST', headers: { 'content-type': contentType }, body });
    }
    expect(failures).toEqual([]);
  });

  it(`POST /oauth/revoke: token, token_type_hint, client_id, client_secret fuzzed (seed ${SEED})`, async () => {
    const failures: Failure[] = [];
    const base = { token: 'some-token', token_type_hint: 'refresh_token', client_id: 'native-app' };
    for (const name of [...Object.keys(base), 'client_secret']) {
      for (const fuzz of fuzzValues(20_000)) {
        await send(failures, 'revoke', name, fuzz.kind, `${f.base}/oauth/revoke`, { method: 'POST', headers: FORM, body: withFuzz(base, name, fuzz) });
      }
    }
    expect(failures).toEqual([]);
  });

  it(`the well-known documents: fuzzed query strings, path suffixes, methods and Accept headers (seed ${SEED})`, async () => {
    const failures: Failure[] = [];
    const paths = [
      '/.well-known/oauth-authorization-server',
      '/.well-known/oauth-authorization-server/mcp',
      '/.well-known/openid-configuration',
      '/.well-known/jwks.json',
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/mcp',
    ];
    const sample = fuzzValues(6000).filter((_, i) => i % 3 === 0);
    for (const path of paths) {
      for (const fuzz of sample) {
        await send(failures, path, 'query', fuzz.kind, `${f.base}${path}?${fuzz.fragment('x')}`);
        await send(failures, path, 'suffix', fuzz.kind, `${f.base}${path}/${fuzz.fragment('x').slice(0, 3000)}`);
      }
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'])
        await send(failures, path, 'method', method, `${f.base}${path}`, { method, headers: FORM, body: method === 'HEAD' ? undefined : 'a=1' });
      for (const accept of [
        'text/html',
        '*/*;q=0',
        'application/json;q=x',
        String.fromCharCode(...randomBytes(40).map((b) => (b < 0x20 || b === 0x7f ? 0x3f : b))),
      ]) {
        await send(failures, path, 'Accept', accept.slice(0, 16), `${f.base}${path}`, { headers: { accept } });
      }
      await send(failures, path, 'access-control-request-headers', 'oversized', `${f.base}${path}`, {
        method: 'OPTIONS',
        headers: { origin: 'https://a.example', 'access-control-request-method': 'GET', 'access-control-request-headers': `x-${'a'.repeat(4000)}` },
      });
    }
    expect(failures).toEqual([]);
  });

  it(`POST /mcp: random Authorization header values (latin1 bytes, JWS-shaped, oversized) → 401/400/431, never 5xx (seed ${SEED})`, async () => {
    const failures: Failure[] = [];
    const latin1 = (n: number) => String.fromCharCode(...randomBytes(n).map((b) => (b < 0x20 || b === 0x7f ? 0x20 + (b % 0x5f) : b)));
    const b64u = (n: number) => Buffer.from(randomBytes(n)).toString('base64url');
    const values = [
      ...Array.from({ length: 20 }, () => latin1(1 + int(200))),
      ...Array.from({ length: 10 }, () => `Bearer ${latin1(1 + int(200))}`),
      ...Array.from({ length: 10 }, () => `Bearer ${b64u(int(60))}.${b64u(int(300))}.${b64u(int(300))}`),
      ...Array.from(
        { length: 6 },
        () =>
          `Bearer ${Buffer.from(JSON.stringify(randomJson())).toString('base64url')}.${Buffer.from(JSON.stringify(randomJson())).toString('base64url')}.${b64u(32)}`,
      ),
      `Bearer ${b64u(20)}.${b64u(20)}`,
      `Bearer ${b64u(20)}.${b64u(20)}.${b64u(20)}.${b64u(20)}.${b64u(20)}`,
      `Bearer ${'A'.repeat(9000)}.${'B'.repeat(10)}.${'C'.repeat(10)}`,
      `Bearer ${'A'.repeat(20_000)}`,
      'bearer',
      'Bearer  x.y.z',
      'Bearer\tx.y.z',
      'BEARER x.y.z',
    ];
    for (const authorization of values) {
      await send(failures, 'mcp', 'Authorization', authorization.slice(0, 24), `${f.base}/mcp`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
      });
    }
    // Two Authorization headers, and bytes Node's own parser refuses (NUL, bare CR), sent on a raw socket.
    const port = Number(new URL(f.base).port);
    const raw = (lines: string) =>
      new Promise<number>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => socket.end(Buffer.from(lines, 'latin1')));
        let data = '';
        socket.on('data', (c) => (data += c.toString('latin1')));
        socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
        socket.on('error', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
      });
    for (const [kind, request] of [
      [
        'two Authorization headers',
        `POST /mcp HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer a.b.c\r\nAuthorization: Bearer d.e.f\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      ],
      ['NUL in the header', `POST /mcp HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer a\u0000b.c.d\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`],
      ['bare CR in the header', `POST /mcp HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer a\rb.c.d\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`],
      ['obsolete line folding', `POST /mcp HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer\r\n a.b.c\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`],
    ] as const) {
      count++;
      const status = await raw(request);
      if (status === 0 || status >= 500) failures.push({ endpoint: 'mcp(raw)', param: 'Authorization', kind, status });
    }
    expect(failures).toEqual([]);
  });

  it('the request budget stays bounded', () => {
    expect(count).toBeGreaterThan(1000);
    expect(count).toBeLessThan(2500);
  });
});
