import { InvalidTokenError } from '../../errors/oauth.errors.js';
import { inspectJoseHeader } from './jose-header.js';

const token = (header: unknown) => `${Buffer.from(JSON.stringify(header)).toString('base64url')}.e30.c2ln`;

describe('inspectJoseHeader', () => {
  it('returns alg, kid and typ of an acceptable header', () => {
    expect(inspectJoseHeader(token({ alg: 'RS256', kid: 'k1', typ: 'JWT' }), ['RS256'], false)).toEqual({ alg: 'RS256', kid: 'k1', typ: 'JWT' });
  });

  it.each(['none', 'None', 'NONE', 'nOnE', 'HS256', 'RS384'])('A4/A9 refuses alg %s outside the allowlist', (alg) => {
    expect(() => inspectJoseHeader(token({ alg }), ['RS256'], false)).toThrow(InvalidTokenError);
  });

  it.each(['crit', 'b64', 'jwk', 'jku', 'x5u', 'x5c', 'zip', 'enc'])('A16/A17 refuses the %s header parameter', (param) => {
    expect(() => inspectJoseHeader(token({ alg: 'RS256', [param]: 'x' }), ['RS256'], false)).toThrow(InvalidTokenError);
  });

  it('A18 refuses headers that are not JSON objects', () => {
    for (const bad of ['bm90IGpzb24.e30.c2ln', 'W10.e30.c2ln', 'bnVsbA.e30.c2ln', 'MQ.e30.c2ln']) {
      expect(() => inspectJoseHeader(bad, ['RS256'], false)).toThrow(InvalidTokenError);
    }
  });

  it('A13 typ: refuses non-JWT types, and requires at+jwt when configured', () => {
    expect(() => inspectJoseHeader(token({ alg: 'RS256', typ: 'dpop+jwt' }), ['RS256'], false)).toThrow(InvalidTokenError);
    expect(() => inspectJoseHeader(token({ alg: 'RS256', typ: 'JWT' }), ['RS256'], true)).toThrow(InvalidTokenError);
    expect(inspectJoseHeader(token({ alg: 'RS256', typ: 'at+jwt' }), ['RS256'], true).typ).toBe('at+jwt');
    expect(inspectJoseHeader(token({ alg: 'RS256', typ: 'application/at+jwt' }), ['RS256'], true).alg).toBe('RS256');
  });

  it('refuses a non-string or oversized kid', () => {
    expect(() => inspectJoseHeader(token({ alg: 'RS256', kid: 5 }), ['RS256'], false)).toThrow(InvalidTokenError);
    expect(() => inspectJoseHeader(token({ alg: 'RS256', kid: 'k'.repeat(300) }), ['RS256'], false)).toThrow(InvalidTokenError);
  });
});
