import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** Per-request facts audit events carry, available anywhere below the middleware. */
export interface RequestContext {
  requestId: string;
  ip: string;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

/** A caller-provided `X-Request-Id` is kept only when it is short and plain (it ends up in logs). */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(header) ? header : randomUUID();
}
