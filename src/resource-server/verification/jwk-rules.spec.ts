import { isUsableVerificationKey, keyFitsAlgorithm } from './jwk-rules.js';

describe('jwk rules', () => {
  const rsa = { kty: 'RSA', n: 'x', e: 'AQAB', kid: 'r' };
  const ec = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'e' };

  it('C34 keeps only public signature keys', () => {
    expect(isUsableVerificationKey(rsa)).toBe(true);
    expect(isUsableVerificationKey({ ...rsa, use: 'sig' })).toBe(true);
    expect(isUsableVerificationKey({ ...rsa, use: 'enc' })).toBe(false);
    expect(isUsableVerificationKey({ ...rsa, key_ops: ['encrypt'] })).toBe(false);
    expect(isUsableVerificationKey({ ...rsa, key_ops: ['verify'] })).toBe(true);
    expect(isUsableVerificationKey({ kty: 'oct', k: 'c2VjcmV0' })).toBe(false);
    expect(isUsableVerificationKey({ ...rsa, d: 'private' })).toBe(false);
    expect(isUsableVerificationKey({ kty: 'OKP', crv: 'Ed25519', x: 'x' })).toBe(false);
  });

  it('C34 matches key type, curve and the key alg to the token alg', () => {
    expect(keyFitsAlgorithm(rsa, 'RS256')).toBe(true);
    expect(keyFitsAlgorithm({ ...rsa, alg: 'RS384' }, 'RS256')).toBe(false);
    expect(keyFitsAlgorithm(rsa, 'ES256')).toBe(false);
    expect(keyFitsAlgorithm(ec, 'ES256')).toBe(true);
    expect(keyFitsAlgorithm(ec, 'ES384')).toBe(false);
    expect(keyFitsAlgorithm(ec, 'HS256')).toBe(false);
  });
});
