import {
  CI_SECRET,
  clientAssertion,
  clientCredentials,
  type EnterpriseFixture,
  expectRefused,
  expectToken,
  idJag,
  jwtBearer,
  mcpStatus,
  startEnterpriseFixture,
  withAssertion,
} from '../security/enterprise-helpers.js';

/** Issue 14's grants on the Fastify adapter: the same form parsing, answers and refusals as on Express. */
describe('Fastify: ID-JAG, client credentials and private_key_jwt', () => {
  let e: EnterpriseFixture;
  beforeAll(async () => {
    e = await startEnterpriseFixture({}, [], [], 'fastify');
  });
  afterAll(() => e.close());

  it('each grant issues a token the MCP endpoint accepts; a replayed assertion is refused', async () => {
    const { f } = e;
    const assertion = await idJag(e);
    const viaJag = await expectToken(await jwtBearer(f, assertion));
    expect(await mcpStatus(f, viaJag.access_token)).toBe(201);
    await expectRefused(f, () => jwtBearer(f, assertion), 400, 'invalid_grant');
    const viaSecret = await expectToken(await clientCredentials(f, 'ci', CI_SECRET));
    expect(await mcpStatus(f, viaSecret.access_token)).toBe(201);
    const clientJwt = await clientAssertion(f, 'ci-jwt', e.key.privateKey);
    const viaKey = await expectToken(await withAssertion(f, clientJwt, { grant_type: 'client_credentials' }));
    expect(await mcpStatus(f, viaKey.access_token)).toBe(201);
    await expectRefused(f, () => withAssertion(f, clientJwt, { grant_type: 'client_credentials' }), [400, 401], 'invalid_client');
  });
});
