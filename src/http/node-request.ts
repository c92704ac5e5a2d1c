/** The request fields the module reads, present on Express and Fastify requests and on Node's own. */
export interface ModuleRequest {
  method?: string;
  url?: string;
  originalUrl?: string;
  headers: Record<string, string | string[] | undefined>;
  query?: unknown;
  body?: unknown;
}

/** Path and query as the client sent them (before any mount point rewrote `url`). */
function target(req: ModuleRequest): string {
  return req.originalUrl ?? req.url ?? '/';
}

/** The path, without the query. */
export function requestPath(req: ModuleRequest): string {
  const t = target(req);
  const q = t.indexOf('?');
  return q === -1 ? t : t.slice(0, q);
}

/** The raw query string (no `?`), exactly as sent. */
export function rawQuery(req: ModuleRequest): string {
  const t = target(req);
  const q = t.indexOf('?');
  return q === -1 ? '' : t.slice(q + 1);
}

/**
 * A path compared the way the default routers match it: without case (Express) and with a trailing
 * slash tolerated, so `/OAUTH/TOKEN/` counts as `/oauth/token` wherever it would reach the handler.
 */
export function routeKey(path: string): string {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
}

/** The media type of the body (`application/json`), lower case, without parameters. */
export function mediaType(req: ModuleRequest): string | undefined {
  const header = req.headers['content-type'];
  if (typeof header !== 'string') return undefined;
  return header.split(';', 1)[0].trim().toLowerCase();
}
