import { InsufficientScopeError, InvalidRequestError, InvalidTokenError } from '../errors/oauth.errors.js';
import { bearerChallenge } from './www-authenticate.js';

const PRM = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';

describe('bearerChallenge', () => {
  it('A1 no credentials: no error attribute', () => {
    expect(bearerChallenge(new InvalidTokenError('x', true), PRM, ['mcp:read'])).toBe(`Bearer resource_metadata="${PRM}", scope="mcp:read"`);
  });

  it('invalid token: error, description, metadata, scope in that order', () => {
    expect(bearerChallenge(new InvalidTokenError('The access token expired'), PRM, [])).toBe(
      `Bearer error="invalid_token", error_description="The access token expired", resource_metadata="${PRM}"`,
    );
  });

  it('A21 insufficient scope names all needed scopes', () => {
    expect(bearerChallenge(new InsufficientScopeError(['mcp:write', 'mcp:admin']), PRM, ['mcp:read'])).toMatch(
      /^Bearer error="insufficient_scope", scope="mcp:write mcp:admin", resource_metadata="/,
    );
  });

  it('A21 step-up: the challenge names the union of the token’s scopes and the required ones (2026-07-28: all scopes the operation needs)', () => {
    expect(bearerChallenge(new InsufficientScopeError(['mcp:admin'], ['mcp:read', 'mcp:write']), PRM, ['mcp:read'])).toMatch(
      /^Bearer error="insufficient_scope", scope="mcp:read mcp:write mcp:admin", resource_metadata="/,
    );
    // A required scope the token already has (granted through a hierarchy elsewhere) is named once.
    expect(bearerChallenge(new InsufficientScopeError(['mcp:read', 'mcp:admin'], ['mcp:read']), PRM, [])).toContain('scope="mcp:read mcp:admin"');
  });

  it('A21 a token scope that is not an RFC 6749 scope-token (quote, backslash, control character) never reaches the header', () => {
    const granted = ['mcp:read', 'x"y', 'a\\b', 'evil\r\nSet-Cookie: s=1', 'ok:scope'];
    const header = bearerChallenge(new InsufficientScopeError(['mcp:admin'], granted), PRM, []);
    expect(header).toContain('scope="mcp:read ok:scope mcp:admin"');
    expect(header).not.toMatch(/[\r\n\\]|x"y/);
  });

  it('invalid request keeps its code', () => {
    expect(bearerChallenge(new InvalidRequestError('x'), PRM, [])).toMatch(/^Bearer error="invalid_request"/);
  });
});
