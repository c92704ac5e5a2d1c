import { createHash } from 'node:crypto';
/** SHA-256 of a token, base64url: the only form in which a token is kept as a key. */
export function tokenHash(token) {
    return createHash('sha256').update(token).digest('base64url');
}
/** Short SHA-256 prefix of a secret value, safe to log. */
export function fingerprint(value) {
    return createHash('sha256').update(value).digest('hex').slice(0, 12);
}
