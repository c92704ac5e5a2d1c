import { applyDecorators, SetMetadata } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { RATE_LIMITED_ENDPOINTS, type RateLimitedEndpoint } from '../../config/rate-limit-defaults.js';

/** Metadata: the endpoint family a route counts against (read for the audit event). */
export const RATE_LIMIT_KEY = 'oauth-mcp:rate-limit';

const ENDPOINTS = Object.keys(RATE_LIMITED_ENDPOINTS) as RateLimitedEndpoint[];

/**
 * Which named throttler counts a route (`none`: not limited). Every throttler applies to every route
 * unless skipped, so the others are skipped explicitly.
 */
export const RateLimit = (endpoint: RateLimitedEndpoint | 'none') =>
  applyDecorators(SetMetadata(RATE_LIMIT_KEY, endpoint), SkipThrottle(Object.fromEntries(ENDPOINTS.map((name) => [name, name !== endpoint]))));
