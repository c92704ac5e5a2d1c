/** The rate-limited endpoint families, with defaults in the order of the MCP SDK's (per client IP). */
export const RATE_LIMITED_ENDPOINTS = {
  authorize: { limit: 100, windowSeconds: 900 },
  token: { limit: 50, windowSeconds: 900 },
  register: { limit: 20, windowSeconds: 3600 },
  revoke: { limit: 50, windowSeconds: 900 },
} as const;

export type RateLimitedEndpoint = keyof typeof RATE_LIMITED_ENDPOINTS;

/**
 * Failed bearer verifications (and failed client authentication or grants at the token endpoint) per
 * client IP (IPv6 by /64) before that IP is refused with 429 for `blockSeconds`. Sized for a NAT'd
 * office, not for guessing (a signed token cannot be guessed): see docs/failed-auth-throttling.md.
 */
export const FAILED_AUTH_THROTTLE = { limit: 100, windowSeconds: 60, blockSeconds: 60 } as const;
