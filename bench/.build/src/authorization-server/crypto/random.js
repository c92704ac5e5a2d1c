import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
/** A random opaque value with `bytes` of entropy, base64url (codes, states, refresh tokens, ids). */
export function randomToken(bytes = 32) {
    return randomBytes(bytes).toString('base64url');
}
/** SHA-256, base64url: how secrets are keyed in the store. */
export function sha256(value) {
    return createHash('sha256').update(value).digest('base64url');
}
/** Constant-time string comparison (RFC 6749 §10.10 credential guessing). */
export function safeEqual(a, b) {
    const x = Buffer.from(sha256(a));
    const y = Buffer.from(sha256(b));
    return timingSafeEqual(x, y) && a.length === b.length;
}
