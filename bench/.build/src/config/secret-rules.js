/** Minimum HS256 key length (RFC 7518 §3.2: a key of the same size as the hash output). */
export const MIN_SECRET_BYTES = 32;
const PLACEHOLDER_FRAGMENTS = [
    'changeme',
    'change-me',
    'change_me',
    'placeholder',
    'your-secret',
    'your_secret',
    'your-random',
    'secret-key-here',
    'replace-me',
    'replace_me',
    'example',
    'xxxxxxxx',
    '12345678',
];
/** Checks an HMAC secret without ever returning or logging it. */
export function checkSecret(secret) {
    if (typeof secret !== 'string' || Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES)
        return 'short';
    const lower = secret.toLowerCase();
    if (PLACEHOLDER_FRAGMENTS.some((p) => lower.includes(p)))
        return 'placeholder';
    if (new Set(secret).size < 8)
        return 'low-entropy';
    return undefined;
}
export const SECRET_PROBLEM_TEXT = {
    short: `must be at least ${MIN_SECRET_BYTES} bytes (generate one with: openssl rand -base64 32)`,
    placeholder: 'looks like a placeholder; generate a random secret (openssl rand -base64 32)',
    'low-entropy': 'has too few distinct characters to be random; generate one with: openssl rand -base64 32',
};
