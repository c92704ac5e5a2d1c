import { authorizeUrl, pkce, startProxyFixture, type ProxyFixture } from '../support/proxy-fixture.js';
import { expectPageHeaders, get, issueCode, NATIVE_APP, storeSnapshot } from './flow-helpers.js';

/**
 * O5 (outside review): a remembered approval for a loopback client matched any port, so a cross-site
 * page could, with GETs only, send the user's browser through a silent sign-in that lands a code on
 * another local port (`http://127.0.0.1:4444/callback`), where the attacker's listener redeems it
 * with its own PKCE verifier. The consent page is now skipped only for the exact redirect URI,
 * port included, that the user approved.
 */

describe('O5 remembered consent is for the exact redirect URI', () => {
  let f: ProxyFixture;
  beforeAll(async () => {
    f = await startProxyFixture();
  });
  afterAll(() => f.close());

  it('O5 an approval remembered for http://127.0.0.1:51000/callback does not skip the consent page for another port of the same loopback client', async () => {
    const approved = 'http://127.0.0.1:51000/callback';
    const earlier = await issueCode(f, { redirectUri: approved });
    expect(earlier.cookies).toMatch(/mcp_session=/);
    const start = (redirectUri: string) =>
      get(
        authorizeUrl(f, { client_id: NATIVE_APP.clientId, redirect_uri: redirectUri, code_challenge: pkce().challenge, resource: f.resource }),
        earlier.cookies,
      );

    // Control: the approved URI is remembered (straight to the upstream IdP).
    const same = await start(approved);
    expect(same.status).toBe(302);
    expect(new URL(same.headers.get('location')!).origin).toBe(new URL(f.idp.issuer).origin);

    // The attacker's port: the user is asked again, nothing is sent upstream.
    for (const other of ['http://127.0.0.1:4444/callback', 'http://127.0.0.1/callback', 'http://127.0.0.1:51001/callback']) {
      const snapshot = storeSnapshot(f);
      const res = await start(other);
      expect({ other, status: res.status, location: res.headers.get('location') }).toEqual({ other, status: 200, location: null });
      expectPageHeaders(res);
      expect(await res.text()).toContain(new URL(other).host);
      expect(snapshot.added().filter((k) => k.startsWith('upstream-state:'))).toEqual([]);
    }
  });
});
