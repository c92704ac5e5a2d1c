import type { ServerResponse } from 'node:http';

/**
 * The module writes its responses on Node's own `ServerResponse`, the same on Express (whose response
 * is one) and Fastify (`reply.raw`), so one code path serves both adapters.
 */
interface FastifyReplyLike {
  raw: ServerResponse;
  hijack(): unknown;
}

function isFastifyReply(res: unknown): res is FastifyReplyLike {
  return typeof (res as FastifyReplyLike).hijack === 'function' && typeof (res as FastifyReplyLike).raw === 'object';
}

/** Where headers go while the adapter still sends the response (guards, middleware). */
export function headerTarget(res: unknown): ServerResponse {
  return isFastifyReply(res) ? res.raw : (res as ServerResponse);
}

/** Takes the response over to write it completely (Fastify is told it no longer owns it). */
export function takeOver(res: unknown): ServerResponse {
  if (isFastifyReply(res)) {
    res.hijack();
    return res.raw;
  }
  return res as ServerResponse;
}

/** Writes a complete response: status, content type, body (`undefined`: none). */
export function writeResponse(res: unknown, status: number, body?: string, contentType?: string): void {
  const raw = takeOver(res);
  raw.statusCode = status;
  if (body !== undefined && contentType) raw.setHeader('Content-Type', contentType);
  if (body !== undefined) raw.setHeader('Content-Length', Buffer.byteLength(body));
  raw.end(body);
}

export function writeJson(res: unknown, status: number, body: unknown): void {
  writeResponse(res, status, JSON.stringify(body), 'application/json; charset=utf-8');
}

export function writeRedirect(res: unknown, status: 302 | 303, location: string): void {
  const raw = takeOver(res);
  raw.statusCode = status;
  raw.setHeader('Location', location);
  raw.setHeader('Content-Length', 0);
  raw.end();
}
