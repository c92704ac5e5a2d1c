/**
 * The embedded dev IdP as native-mode authorization server for every MCP client: browser clients
 * (MCP Inspector in direct mode) register and exchange codes from their own origin, and a client
 * registered with a narrow scope may step up to any scope the MCP resource supports.
 */
import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { headlessLogin, startDevIdp, type DevIdp } from '../../src/testing/index.js';

const RESOURCE = 'http://127.0.0.1:9/mcp';
const SCOPES = ['mcp:read', 'mcp:write', 'mcp:admin'];
const INSPECTOR = 'http://localhost:6274';
const REDIRECT = `${INSPECTOR}/oauth/callback`;

describe('dev IdP: browser clients and step-up', () => {
  let idp: DevIdp;
  beforeAll(async () => {
    idp = await startDevIdp({ resource: RESOURCE, scopes: SCOPES, port: 0 });
  });
  afterAll(() => idp.close());

  const register = (scope?: string) =>
    fetch(`${idp.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: INSPECTOR },
      body: JSON.stringify({
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        client_name: 'MCP Inspector',
        ...(scope ? { scope } : {}),
      }),
    });

  it('registration answers the CORS preflight of a browser client and lets it read the response', async () => {
    const preflight = await fetch(`${idp.issuer}/reg`, {
      method: 'OPTIONS',
      headers: { origin: INSPECTOR, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(INSPECTOR);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();

    const created = await register();
    expect(created.status).toBe(201);
    expect(created.headers.get('access-control-allow-origin')).toBe(INSPECTOR);
  });

  it('the token endpoint answers a public client from its redirect URI’s origin, not from another origin', async () => {
    const { client_id } = (await (await register()).json()) as { client_id: string };
    const tokenCall = (origin: string) =>
      fetch(`${idp.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: 'not-a-code', client_id, redirect_uri: REDIRECT, code_verifier: 'x'.repeat(43) }),
      });
    const own = await tokenCall(INSPECTOR);
    expect(own.headers.get('access-control-allow-origin')).toBe(INSPECTOR);
    expect(((await own.json()) as { error: string }).error).toBe('invalid_grant');
    expect((await tokenCall('http://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a client registered with scope mcp:read may step up to mcp:read mcp:admin (no invalid_scope)', async () => {
    const { client_id } = (await (await register('mcp:read')).json()) as { client_id: string };
    const verifier = randomBytes(32).toString('base64url');
    const url = new URL(`${idp.issuer}/auth`);
    url.search = new URLSearchParams({
      client_id,
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'mcp:read mcp:admin',
      resource: RESOURCE,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      state: 'st',
    }).toString();
    const callback = await headlessLogin(url.href, REDIRECT, { username: 'sam' });
    expect(callback.searchParams.get('error')).toBeNull();
    const tokens = await fetch(`${idp.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code')!,
        client_id,
        redirect_uri: REDIRECT,
        code_verifier: verifier,
      }),
    });
    const body = (await tokens.json()) as { access_token: string };
    expect(decodeJwt(body.access_token).scope).toBe('mcp:read mcp:admin');
  });
});
