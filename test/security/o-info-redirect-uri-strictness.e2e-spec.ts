import { authorizeUrl, pkce, registerClient, startProxyFixture, type ProxyFixture } from '../support/proxy-fixture.js';
import { get, storeSnapshot } from './flow-helpers.js';

/**
 * Outside review, informational: a review of redirect-URI strictness against RFC 8252 §7.3 (loopback:
 * only the port may vary) and RFC 3986 (authority and port syntax). Every malformed or degenerate
 * loopback authority and port is refused both when a client registers it and when it sends it to
 * /oauth/authorize, so registration and authorization can never disagree; and every URI that can be
 * registered can be used exactly as registered.
 */

const REGISTERED = ['http://127.0.0.1/callback', 'http://localhost/callback', 'http://[::1]/callback'];

/** Refused wherever they appear: at registration (400 invalid_redirect_uri) and at authorize (400 page). */
const MALFORMED: [string, string][] = [
  // Ports
  ['empty port', 'http://127.0.0.1:/callback'],
  ['empty port, IPv6', 'http://[::1]:/callback'],
  ['port 0', 'http://127.0.0.1:0/callback'],
  ['port 0, localhost', 'http://localhost:0/callback'],
  ['port 0, IPv6', 'http://[::1]:0/callback'],
  ['port 00', 'http://127.0.0.1:00/callback'],
  ['leading zero', 'http://127.0.0.1:08080/callback'],
  ['leading zeros to the default port', 'http://127.0.0.1:0080/callback'],
  ['explicit default port', 'http://127.0.0.1:80/callback'],
  ['65536', 'http://127.0.0.1:65536/callback'],
  ['99999', 'http://localhost:99999/callback'],
  ['2^32 + 80', 'http://127.0.0.1:4294967376/callback'],
  ['negative port', 'http://127.0.0.1:-1/callback'],
  ['signed port', 'http://127.0.0.1:+8080/callback'],
  ['hex port', 'http://127.0.0.1:0x50/callback'],
  ['two ports', 'http://127.0.0.1:8080:9090/callback'],
  ['percent-encoded port', 'http://127.0.0.1:%38%30/callback'],
  ['port with a space', 'http://127.0.0.1: 8080/callback'],
  // Userinfo
  ['userinfo', 'http://user@127.0.0.1/callback'],
  ['user and password', 'http://user:pass@localhost:5000/callback'],
  ['empty userinfo', 'http://@127.0.0.1/callback'],
  ['empty user and password', 'http://:@127.0.0.1/callback'],
  ['loopback as userinfo', 'http://127.0.0.1:5000@evil.example/callback'],
  ['IPv6 loopback as userinfo', 'http://[::1]:61023@evil.example/callback'],
  ['a host as userinfo', 'http://evil.example@127.0.0.1/callback'],
  // IPv6 zone ids and other IPv6 spellings
  ['zone id', 'http://[::1%25lo]/callback'],
  ['zone id with a port', 'http://[::1%25eth0]:5000/callback'],
  ['raw % zone id', 'http://[::1%lo]/callback'],
  ['link-local with zone', 'http://[fe80::1%25eth0]/callback'],
  ['expanded ::1', 'http://[0:0:0:0:0:0:0:1]/callback'],
  ['::0:1', 'http://[::0:1]/callback'],
  ['IPv4-mapped, dotted', 'http://[::ffff:127.0.0.1]/callback'],
  ['IPv4-mapped, canonical', 'http://[::ffff:7f00:1]/callback'],
  ['unspecified IPv6', 'http://[::]/callback'],
  ['percent-encoded IPv6', 'http://[%3A%3A1]/callback'],
  // Trailing dots, case, percent-encoding in the host
  ['localhost.', 'http://localhost./callback'],
  ['localhost. with a port', 'http://localhost.:5000/callback'],
  ['127.0.0.1.', 'http://127.0.0.1./callback'],
  ['LOCALHOST', 'http://LOCALHOST/callback'],
  ['LocalHost with a port', 'http://LocalHost:5000/callback'],
  ['HTTP', 'HTTP://127.0.0.1/callback'],
  ['percent-encoded IPv4 digit', 'http://127.0.0.%31/callback'],
  ['percent-encoded localhost letter', 'http://local%68ost/callback'],
  ['fully percent-encoded localhost', 'http://%6c%6f%63%61%6c%68%6f%73%74:5000/callback'],
  // IPv4 spellings and other hosts
  ['127.1', 'http://127.1/callback'],
  ['decimal', 'http://2130706433/callback'],
  ['hex', 'http://0x7f000001/callback'],
  ['octal', 'http://0177.0.0.1/callback'],
  ['zero-padded', 'http://127.000.000.001/callback'],
  ['127.0.0.2', 'http://127.0.0.2/callback'],
  ['0.0.0.0', 'http://0.0.0.0/callback'],
  ['localhost.evil.example', 'http://localhost.evil.example/callback'],
  ['127.0.0.1.nip.io', 'http://127.0.0.1.nip.io/callback'],
  // Shape
  ['no slashes', 'http:127.0.0.1/callback'],
  ['one slash', 'http:/127.0.0.1/callback'],
  ['three slashes', 'http:///127.0.0.1/callback'],
  ['empty host with a port', 'http://:5000/callback'],
  ['backslash', 'http://127.0.0.1\\@evil.example/callback'],
  ['tab in the host', 'http://127.0.0.1\t/callback'],
  ['dot segment', 'http://127.0.0.1/x/../callback'],
  ['single-dot segment', 'http://127.0.0.1/./callback'],
  ['encoded dot segment', 'http://127.0.0.1/%2e/callback'],
  ['non-ASCII path', 'http://127.0.0.1/cällback'],
  ['fragment', 'http://127.0.0.1/callback#x'],
  ['empty fragment', 'http://127.0.0.1/callback#'],
  ['response parameter in the query', 'http://127.0.0.1/callback?code=x'],
  ['state in the query', 'http://127.0.0.1:5000/callback?state=1'],
  ['non-canonical private-use scheme', 'Cursor://anysphere.cursor-retrieval/callback'],
  ['non-ASCII private-use URI', 'cursor://anysphere.cursor-retrieval/cällback'],
];

/** Valid, registerable URIs that must not match the loopback registrations above. */
const NON_MATCHING: [string, string][] = [
  ['a bare ? the registration lacks', 'http://127.0.0.1:5000/callback?'],
  ['an added query', 'http://127.0.0.1:5000/callback?x=1'],
  ['https on loopback (only http relaxes the port)', 'https://127.0.0.1:5000/callback'],
  ['another path', 'http://127.0.0.1:5000/callback/'],
  ['localhost for a 127.0.0.1-only client', 'http://localhost:5000/other'],
];

/** Must work, at registration and at authorize: the port is the only thing that varies. */
const VALID_PORTS = [
  'http://127.0.0.1:1/callback',
  'http://127.0.0.1:5000/callback',
  'http://127.0.0.1:65535/callback',
  'http://localhost:5000/callback',
  'http://[::1]:61023/callback',
];

describe('O-info redirect URI strictness (RFC 8252 §7.3, RFC 3986): registration and authorize agree', () => {
  let f: ProxyFixture;
  let clientId: string;
  beforeAll(async () => {
    f = await startProxyFixture({ allowedRedirectSchemes: ['cursor'] });
    clientId = await registerClient(f, REGISTERED);
  });
  afterAll(() => f.close());

  const register = (uri: string) =>
    fetch(`${f.base}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: [uri], token_endpoint_auth_method: 'none' }),
    });
  const authorize = (client: string, uri: string) =>
    get(authorizeUrl(f, { client_id: client, redirect_uri: uri, code_challenge: pkce().challenge, resource: f.resource }));

  it('O-info every malformed or degenerate loopback authority and port is refused at registration and at authorize, changing nothing', async () => {
    for (const [label, uri] of MALFORMED) {
      const snapshot = storeSnapshot(f);
      const reg = await register(uri);
      const regBody = (await reg.json()) as { error?: string };
      const auth = await authorize(clientId, uri);
      await auth.text();
      expect({ label, uri, registration: [reg.status, regBody.error], authorize: [auth.status, auth.headers.get('location')] }).toEqual({
        label,
        uri,
        registration: [400, 'invalid_redirect_uri'],
        authorize: [400, null],
      });
      expect({ label, added: snapshot.added() }).toEqual({ label, added: [] });
    }
    for (const [label, uri] of NON_MATCHING) {
      const auth = await authorize(clientId, uri);
      expect({ label, authorize: [auth.status, auth.headers.get('location')] }).toEqual({ label, authorize: [400, null] });
      // Each is a valid URI in its own right: registered as such, it works exactly as registered.
      const own = await registerClient(f, [uri]);
      expect({ label, exact: (await authorize(own, uri)).status }).toEqual({ label, exact: 200 });
    }
    for (const uri of VALID_PORTS) {
      expect({ uri, authorize: (await authorize(clientId, uri)).status }).toEqual({ uri, authorize: 200 });
      expect({ uri, registration: (await register(uri)).status }).toEqual({ uri, registration: 201 });
    }
    expect((await register('cursor://anysphere.cursor-retrieval/callback')).status).toBe(201);
  });
});
