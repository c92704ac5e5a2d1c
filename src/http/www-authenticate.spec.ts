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

  it('invalid request keeps its code', () => {
    expect(bearerChallenge(new InvalidRequestError('x'), PRM, [])).toMatch(/^Bearer error="invalid_request"/);
  });
});
