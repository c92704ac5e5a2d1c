import { SignJWT } from 'jose';
import { SigningKeyService } from '../../src/authorization-server/keys/signing-keys.service.js';
import { startProxyFixture, type ProxyFixture } from '../support/proxy-fixture.js';

/** A13 (RFC 9068): in proxy mode only `typ: at+jwt` tokens are access tokens, even when signed with our key. */
describe("A13 proxy mode requires typ at+jwt on this server's own tokens", () => {
  let f: ProxyFixture;
  beforeAll(async () => {
    f = await startProxyFixture();
  });
  afterAll(() => f.close());

  const signed = async (typ: string) => {
    const key = f.app.get(SigningKeyService).current();
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ scope: 'mcp:read', client_id: 'native-app', fid: 'some-grant' })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ })
      .setIssuer(f.base)
      .setAudience(f.resource)
      .setSubject('alice')
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .setJti('j1')
      .sign(key.privateKey);
  };
  const call = async (token: string) => fetch(`${f.base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });

  it('A13 a token signed with our key but typed JWT is refused; the same token typed at+jwt passes', async () => {
    const refused = await call(await signed('JWT'));
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: 'invalid_token', error_description: 'The access token type is not accepted' });
    expect((await call(await signed('at+jwt'))).status).toBe(201);
  });
});
