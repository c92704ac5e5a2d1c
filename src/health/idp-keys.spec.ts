import { generateKeyPairSync } from 'node:crypto';
import { countUsableKeys } from './idp-keys.js';

const rsa = (bits: number) => ({ ...generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ format: 'jwk' }), kid: `r${bits}` });
const ec = (namedCurve: string) => ({ ...generateKeyPairSync('ec', { namedCurve }).publicKey.export({ format: 'jwk' }), kid: namedCurve });

describe('countUsableKeys (the key store rules, for doctor and the health indicator)', () => {
  it('counts public signature keys that fit an accepted algorithm', () => {
    const keys = [rsa(2048), ec('P-256'), ec('P-384')];
    expect(countUsableKeys({ keys }, ['RS256'])).toEqual({ usable: 1, total: 3 });
    expect(countUsableKeys({ keys }, ['RS256', 'ES256'])).toEqual({ usable: 2, total: 3 });
    expect(countUsableKeys({ keys }, ['ES384'])).toEqual({ usable: 1, total: 3 });
  });

  it('C35/C34 ignores RSA under 2048 bits, private or symmetric keys, encryption keys and a mismatching alg', () => {
    const good = rsa(2048);
    const keys = [
      rsa(1024),
      { ...good, d: 'x' },
      { kty: 'oct', k: 'c2VjcmV0' },
      { ...good, use: 'enc' },
      { ...good, key_ops: ['encrypt'] },
      { ...good, alg: 'RS384' },
      'not a key',
      null,
    ];
    expect(countUsableKeys({ keys }, ['RS256'])).toEqual({ usable: 0, total: 8 });
    expect(countUsableKeys({ keys: [...keys, good] }, ['RS256'])).toEqual({ usable: 1, total: 9 });
  });

  it('throws when there is no keys array', () => {
    expect(() => countUsableKeys({}, ['RS256'])).toThrow('the JWKS has no "keys" array');
  });
});
