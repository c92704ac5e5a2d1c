import { signedIn, startProxyFixture, type ProxyFixture } from '../support/proxy-fixture.js';

describe('proxy fixture', () => {
  let f: ProxyFixture;
  beforeAll(async () => {
    f = await startProxyFixture();
  });
  afterAll(() => f.close());

  it('signs a DCR client in through consent and the upstream; the token works at /mcp', async () => {
    const { tokens } = await signedIn(f);
    const res = await fetch(`${f.base}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ sub: 'alice' });
  });
});
