import { randomBytes } from 'node:crypto';
import { estimateEntropyBits } from './entropy-estimate.js';
import { checkSecret } from './secret-rules.js';

describe('secret rules', () => {
  it('N131 refuses secrets under 32 bytes, counting bytes not characters', () => {
    expect(checkSecret('')).toBe('short');
    expect(checkSecret('secret')).toBe('short');
    expect(checkSecret('k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aU')).toBe('short'); // 31
    expect(checkSecret('k7Vq2mZp9XwR4tYb8NcL1sDf6GhJ3aUe')).toBeUndefined(); // 32
    expect(checkSecret('éàüöñçøå' + 'k7Vq2mZp9XwR4tYb')).toBeUndefined(); // 16 + 16 bytes, 24 characters
  });

  it('N132 refuses placeholders and low-entropy secrets', () => {
    expect(checkSecret('changeme-changeme-changeme-changeme')).toBe('placeholder');
    expect(checkSecret('your-random-32-byte-secret-key-here')).toBe('placeholder');
    expect(checkSecret('a'.repeat(40))).toBe('low-entropy');
    expect(checkSecret('abababababababababababababababab')).toBe('low-entropy');
  });

  it('O9 estimates entropy from structure: repeats, runs, padding and character classes', () => {
    for (const weak of [
      'abcdefgh'.repeat(4),
      'Password1Password1Password1Pass!',
      `${' '.repeat(24)}83920174`,
      'Zq8Wm3Xv'.repeat(4),
      'ZYXWVUTSRQPONMLKJIHGFEDCBA987654',
    ]) {
      expect({ weak, problem: checkSecret(weak) }).toEqual({ weak, problem: 'low-entropy' });
    }
    expect(checkSecret(`S3cr3t!${'\u0000'.repeat(25)}`)).toBe('unprintable');
    // Random secrets of 32 bytes and more pass every time; 32 hex characters (128 bits) sit at the limit.
    for (let i = 0; i < 500; i++) {
      expect(estimateEntropyBits(randomBytes(32).toString('base64'))).toBeGreaterThan(250);
      expect(estimateEntropyBits(randomBytes(24).toString('base64'))).toBeGreaterThan(160);
      expect(estimateEntropyBits(randomBytes(32).toString('hex'))).toBeGreaterThan(200);
    }
    expect(estimateEntropyBits('0123456789abcdef'.repeat(2))).toBeLessThan(40);
  });
});
