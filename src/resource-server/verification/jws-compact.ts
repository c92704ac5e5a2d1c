/** The three base64url segments of a compact JWS (RFC 7515 §7.1): no padding, no JWE, nothing else. */
export const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
