import { coversScopes } from './scope-check.js';

describe('coversScopes', () => {
  it('needs every required scope', () => {
    expect(coversScopes(['a', 'b'], ['a'], {})).toBe(true);
    expect(coversScopes(['a'], ['a', 'b'], {})).toBe(false);
    expect(coversScopes([], [], {})).toBe(true);
  });

  it('applies scope hierarchies transitively', () => {
    const implied = { 'mcp:admin': ['mcp:write'], 'mcp:write': ['mcp:read'] };
    expect(coversScopes(['mcp:admin'], ['mcp:read'], implied)).toBe(true);
    expect(coversScopes(['mcp:read'], ['mcp:write'], implied)).toBe(false);
  });

  it('is not fooled by prototype keys', () => {
    expect(coversScopes(['constructor'], ['toString'], {})).toBe(false);
  });
});
