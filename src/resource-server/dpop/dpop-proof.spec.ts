import { InsufficientScopeError, InvalidDpopProofError, InvalidTokenError, UseDpopNonceError } from '../../errors/oauth.errors.js';
import { resourceChallenges } from '../../http/www-authenticate.js';
import { presentedCredential } from '../verification/bearer-token.extractor.js';
import { dpopHeader } from './dpop-verifier.service.js';
import { normalizeHtu } from './dpop-proof.js';

const PRM = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';
const DPOP = { algs: ['ES256', 'EdDSA'], required: false };

describe('normalizeHtu (RFC 9449 §4.3, RFC 3986 §6.2.2–6.2.3)', () => {
  it.each([
    ['HTTPS://MCP.Example.COM/mcp', 'https://mcp.example.com/mcp'],
    ['https://mcp.example.com:443/mcp', 'https://mcp.example.com/mcp'],
    ['https://mcp.example.com/%6Dcp', 'https://mcp.example.com/mcp'],
    ['https://mcp.example.com/a%2fb', 'https://mcp.example.com/a%2Fb'],
    ['https://mcp.example.com/mcp?x=1#f', 'https://mcp.example.com/mcp'],
    ['https://mcp.example.com', 'https://mcp.example.com/'],
  ])('Q2 %s is %s', (given, normal) => {
    expect(normalizeHtu(given)).toBe(normal);
  });

  it.each([['urn:x'], ['ftp://mcp.example.com/mcp'], ['not a url'], ['']])('Q2 %j is no URL to compare', (given) => {
    expect(normalizeHtu(given)).toBeUndefined();
  });
});

describe('the DPoP scheme and header', () => {
  it('Q12 Authorization: DPoP is read (any case), Bearer still is; an empty credential is refused', () => {
    expect(presentedCredential({ headers: { authorization: 'DPoP abc' } }, 8192)).toEqual({ token: 'abc', dpop: true });
    expect(presentedCredential({ headers: { authorization: 'dpop abc' } }, 8192)).toEqual({ token: 'abc', dpop: true });
    expect(presentedCredential({ headers: { authorization: 'Bearer abc' } }, 8192)).toEqual({ token: 'abc', dpop: false });
    for (const authorization of ['DPoP', 'DPoP ', 'DPoPabc', 'Basic abc']) {
      expect(() => presentedCredential({ headers: { authorization } }, 8192)).toThrow(InvalidTokenError);
    }
  });

  it('Q10 two DPoP headers (Node joins them with a comma) are refused; one is read', () => {
    expect(dpopHeader({ headers: { dpop: 'a.b.c' } }, true)).toBe('a.b.c');
    expect(dpopHeader({ headers: {} }, true)).toBeUndefined();
    expect(() => dpopHeader({ headers: { dpop: 'a.b.c, d.e.f' } }, true)).toThrow(InvalidDpopProofError);
  });
});

describe('resourceChallenges (RFC 9449 §7.1)', () => {
  it('Q13 Bearer first (the SDKs read it), then DPoP algs; a token error stays in the Bearer challenge', () => {
    expect(resourceChallenges(new InvalidTokenError('x', true), PRM, ['mcp:read'], DPOP)).toBe(
      `Bearer resource_metadata="${PRM}", scope="mcp:read", DPoP algs="ES256 EdDSA"`,
    );
    expect(resourceChallenges(new InsufficientScopeError(['mcp:admin']), PRM, [], DPOP)).toMatch(
      /^Bearer error="insufficient_scope".*, DPoP algs="ES256 EdDSA"$/,
    );
  });

  it('Q10 a proof error goes in the DPoP challenge; the Bearer one carries no error', () => {
    expect(resourceChallenges(new InvalidDpopProofError('The DPoP proof is malformed', true), PRM, [], DPOP)).toBe(
      `Bearer resource_metadata="${PRM}", DPoP algs="ES256 EdDSA", error="invalid_dpop_proof", error_description="The DPoP proof is malformed"`,
    );
    expect(resourceChallenges(new UseDpopNonceError('n', true), PRM, [], DPOP)).toContain('DPoP algs="ES256 EdDSA", error="use_dpop_nonce"');
  });

  it('Q14 DPoP required: the DPoP challenge alone, with resource_metadata and scope', () => {
    expect(resourceChallenges(new InvalidTokenError('x', true), PRM, ['mcp:read'], { ...DPOP, required: true })).toBe(
      `DPoP algs="ES256 EdDSA", resource_metadata="${PRM}", scope="mcp:read"`,
    );
  });
});
