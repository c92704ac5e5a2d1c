import { checkSecret } from './secret-rules.js';

describe('secret rules', () => {
  it('N131 refuses secrets under 32 bytes, counting bytes not characters', () => {
    expect(checkSecret('')).toBe('short');
    expect(checkSecret('secret')).toBe('short');
    expect(checkSecret('k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aU')).toBe('short'); // 31
    expect(checkSecret('k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe')).toBeUndefined(); // 32
    expect(checkSecret('é'.repeat(8) + 'k7Vq2mZp9XwR4tYb')).toBeUndefined(); // 16 + 16 bytes
  });

  it('N132 refuses placeholders and low-entropy secrets', () => {
    expect(checkSecret('changeme-changeme-changeme-changeme')).toBe('placeholder');
    expect(checkSecret('your-random-32-byte-secret-key-here')).toBe('placeholder');
    expect(checkSecret('a'.repeat(40))).toBe('low-entropy');
    expect(checkSecret('abababababababababababababababab')).toBe('low-entropy');
  });
});
