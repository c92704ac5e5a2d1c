import { InvalidTokenError } from '../../errors/oauth.errors.js';
import { JoseHeaderInspector } from './jose-header.js';

const token = (header: unknown) => `${Buffer.from(JSON.stringify(header)).toString('base64url')}.e30.c2ln`;
/** A new inspector each time: the rules themselves, without anything remembered. */
const inspectJoseHeader = (jws: string, algorithms: string[], requireAccessTokenType: boolean) =>
  new JoseHeaderInspector(algorithms, requireAccessTokenType).inspect(jws);

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

  describe('JoseHeaderInspector remembers accepted headers only', () => {
    const accepted = token({ alg: 'RS256', kid: 'k1', typ: 'JWT' });
    const segment = accepted.slice(0, accepted.indexOf('.'));

    it('A18 still checks the compact shape of every token whose header it remembers', () => {
      const inspector = new JoseHeaderInspector(['RS256'], false);
      expect(inspector.inspect(accepted).kid).toBe('k1');
      for (const bad of [`${segment}.e30`, `${segment}.e30.c2ln.eA`, `${segment}.e30.c2l=`, `${segment}..c2ln`]) {
        expect(() => inspector.inspect(bad)).toThrow(InvalidTokenError);
      }
    });

    it('A4 refuses a refused header again on every presentation', () => {
      const inspector = new JoseHeaderInspector(['RS256'], false);
      const none = token({ alg: 'none' });
      expect(() => inspector.inspect(none)).toThrow(InvalidTokenError);
      expect(() => inspector.inspect(none)).toThrow(InvalidTokenError);
    });

    it('A4 keeps what it remembers per allowlist: another inspector (module instance) decides for itself', () => {
      expect(new JoseHeaderInspector(['RS256'], false).inspect(accepted).alg).toBe('RS256');
      expect(() => new JoseHeaderInspector(['ES256'], false).inspect(accepted)).toThrow(InvalidTokenError);
    });

    it('returns a frozen header, and stays bounded under many distinct headers', () => {
      const inspector = new JoseHeaderInspector(['RS256'], false);
      expect(Object.isFrozen(inspector.inspect(accepted))).toBe(true);
      for (let i = 0; i < 1_000; i++) inspector.inspect(token({ alg: 'RS256', kid: `k-${i}` }));
      expect((inspector as unknown as { accepted: Map<string, unknown> }).accepted.size).toBeLessThanOrEqual(64);
    });
  });
});
