import { jest } from '@jest/globals';
import { authorizeUrl, completeFlow, pkce, redeemCode, registerClient, startProxyFixture, tokenRequest, type ProxyFixture } from '../support/proxy-fixture.js';

/**
 * O6 (outside review): the global registration cap counted registrations per 180-day window, never
 * live clients, so about 500 IPv6 /64s (20 each per hour) filled the default 10,000 in an hour and
 * closed registration for everyone for half a year. The cap now counts live clients: registrations
 * not used yet (they expire after 24 hours) plus clients used within the refresh-token lifetime.
 * The per-IP limits stay as they were (H93).
 */

const HOUR = 3_600_000;
const REDIRECT = 'http://127.0.0.1:53000/callback';

function register(f: ProxyFixture): Promise<Response> {
  return fetch(`${f.base}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' }),
  });
}

describe('O6 the registration cap is about live clients', () => {
  let f: ProxyFixture;
  beforeAll(async () => {
    f = await startProxyFixture({ maxRegisteredClients: 3 });
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await f.close();
  });

  it('O6 a flood of unused registrations closes registration for a day at most; used clients stay and keep counting until they go unused', async () => {
    // One client that is really used: a sign-in and a token.
    const used = await registerClient(f, [REDIRECT]);
    const { verifier, challenge } = pkce();
    const { callback } = await completeFlow(f, authorizeUrl(f, { client_id: used, redirect_uri: REDIRECT, code_challenge: challenge, resource: f.resource }));
    const issued = await redeemCode(f, callback, { verifier, redirectUri: REDIRECT, clientId: used });
    expect(issued.status).toBe(200);
    const { refresh_token } = (await issued.json()) as { refresh_token: string };

    // The flood: two unused registrations fill the cap of 3.
    expect((await register(f)).status).toBe(201);
    expect((await register(f)).status).toBe(201);
    const full = await register(f);
    expect({ status: full.status, body: await full.json() }).toEqual({
      status: 503,
      body: { error: 'temporarily_unavailable', error_description: 'Registration is closed: this server has reached its client limit' },
    });

    // A day later the unused registrations are gone, and registration is open again (up to the cap).
    const start = Date.now();
    jest.spyOn(Date, 'now').mockImplementation(() => start + 25 * HOUR);
    expect((await register(f)).status).toBe(201);
    expect((await register(f)).status).toBe(201);
    expect((await register(f)).status).toBe(503);

    // The used client is still registered and works (its refresh token is honoured).
    const refreshed = await tokenRequest(f, { grant_type: 'refresh_token', refresh_token, client_id: used });
    expect(refreshed.status).toBe(200);

    // Once it has gone unused for the whole refresh-token lifetime (30 days here), it no longer counts either.
    jest.spyOn(Date, 'now').mockImplementation(() => start + 25 * HOUR + 31 * 24 * HOUR);
    for (let i = 0; i < 3; i++) expect((await register(f)).status).toBe(201);
    expect((await register(f)).status).toBe(503);
  });
});
