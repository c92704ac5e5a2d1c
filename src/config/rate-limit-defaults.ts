/** The rate-limited endpoint families, with defaults in the order of the MCP SDK's (per client IP). */
export const RATE_LIMITED_ENDPOINTS = {
  authorize: { limit: 100, windowSeconds: 900 },
  token: { limit: 50, windowSeconds: 900 },
  register: { limit: 20, windowSeconds: 3600 },
  revoke: { limit: 50, windowSeconds: 900 },
} as const;

export type RateLimitedEndpoint = keyof typeof RATE_LIMITED_ENDPOINTS;
