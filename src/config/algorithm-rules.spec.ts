import { checkAlgorithms } from './algorithm-rules.js';

describe('algorithm rules', () => {
  it('N135 refuses none in any casing, empty lists, unknown names and HS/RS mixes', () => {
    expect(checkAlgorithms(['RS256', 'none'], 'oidc')).toMatch(/none/);
    expect(checkAlgorithms(['NONE'], 'hmac')).toMatch(/none/);
    expect(checkAlgorithms([], 'oidc')).toMatch(/non-empty/);
    expect(checkAlgorithms(['RS1'], 'oidc')).toMatch(/only contain/);
    expect(checkAlgorithms(['HS256', 'RS256'], 'oidc')).toMatch(/mix/);
  });

  it('matches the family to the provider', () => {
    expect(checkAlgorithms(['RS256'], 'hmac')).toMatch(/hmac/);
    expect(checkAlgorithms(['HS256'], 'okta')).toMatch(/JWKS/);
    expect(checkAlgorithms(['HS256', 'HS512'], 'hmac')).toBeUndefined();
    expect(checkAlgorithms(['RS256', 'ES256', 'PS256'], 'oidc')).toBeUndefined();
  });
});
