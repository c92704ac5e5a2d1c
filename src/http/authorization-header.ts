import { DuplicateAuthorizationHeaderError } from '../errors/oauth.errors.js';

/** What the header reader needs: an Express request (an IncomingMessage) or a Fastify one (`raw`). */
export interface AuthorizationHeaderCarrier {
  headers: Record<string, string | string[] | undefined>;
  rawHeaders?: string[];
  raw?: { rawHeaders?: string[] };
}

/**
 * The request's `Authorization` header, or undefined. Node keeps the first of repeated
 * `Authorization` headers and drops the rest silently, while a proxy in front may have read another
 * one; the raw header list is therefore counted and a repeated header is a 400.
 * @throws DuplicateAuthorizationHeaderError
 */
export function singleAuthorizationHeader(req: AuthorizationHeaderCarrier): string | undefined {
  const raw = req.raw?.rawHeaders ?? req.rawHeaders;
  if (Array.isArray(raw)) {
    let seen = 0;
    // Only a 13-character name can match: no lower-cased copy of every header name on each request.
    for (let i = 0; i < raw.length; i += 2) if (raw[i].length === 13 && raw[i].toLowerCase() === 'authorization') seen++;
    if (seen > 1) throw new DuplicateAuthorizationHeaderError();
  }
  const value = req.headers.authorization;
  return Array.isArray(value) ? value[0] : value;
}
