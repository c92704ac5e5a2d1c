import { InvalidGrantError, InvalidRequestError } from '../../errors/oauth.errors.js';
import { checkPkceVerifierSyntax, newPkceVerifier, pkceChallengeOf, requirePkceChallenge, requirePkceMatch, verifyPkceS256 } from './pkce.js';

// RFC 7636 Appendix B.
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('PKCE', () => {
  it('computes the RFC 7636 example challenge and verifies it', () => {
    expect(pkceChallengeOf(VERIFIER)).toBe(CHALLENGE);
    expect(verifyPkceS256(VERIFIER, CHALLENGE)).toBe(true);
    expect(verifyPkceS256(VERIFIER, CHALLENGE.replace('E', 'F'))).toBe(false);
  });

  it('authorization leg: only a well-formed S256 challenge passes', () => {
    expect(requirePkceChallenge(CHALLENGE, 'S256')).toBe(CHALLENGE);
    expect(() => requirePkceChallenge(undefined, 'S256')).toThrow(InvalidRequestError);
    expect(() => requirePkceChallenge('short', 'S256')).toThrow(InvalidRequestError);
    expect(() => requirePkceChallenge(CHALLENGE, 'plain')).toThrow(/must be S256/);
    expect(() => requirePkceChallenge(CHALLENGE, undefined)).toThrow(/must be S256/);
  });

  it('token leg: verifier syntax is invalid_request, a mismatch invalid_grant, a code without PKCE invalid_request', () => {
    expect(() => checkPkceVerifierSyntax(undefined)).not.toThrow();
    expect(() => checkPkceVerifierSyntax('a'.repeat(42))).toThrow(InvalidRequestError);
    expect(() => checkPkceVerifierSyntax('a'.repeat(129))).toThrow(InvalidRequestError);
    expect(() => requirePkceMatch(VERIFIER, CHALLENGE)).not.toThrow();
    expect(() => requirePkceMatch(undefined, CHALLENGE)).toThrow(InvalidGrantError);
    expect(() => requirePkceMatch('b'.repeat(43), CHALLENGE)).toThrow(InvalidGrantError);
    expect(() => requirePkceMatch(VERIFIER, undefined)).toThrow(InvalidRequestError);
  });

  it('upstream leg: fresh verifiers with RFC 7636 syntax', () => {
    const a = newPkceVerifier();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(newPkceVerifier()).not.toBe(a);
  });
});
