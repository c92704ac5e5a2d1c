import type { IncomingMessage } from 'node:http';
import { McpBodyError } from '../../errors/oauth.errors.js';

/** The request fields the MCP body reader uses (Express request, or Fastify request with `raw`). */
export interface McpBodyCarrier {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  raw?: IncomingMessage;
}

/** Largest MCP POST body the guard reads itself; the MCP SDK's own limit (4 MB). */
export const MAX_MCP_BODY_BYTES = 4 * 1024 * 1024;

/** Where the guard keeps the JSON-RPC payload it decided on; `@McpBody()` hands out exactly this. */
export const GUARDED_MCP_BODY = Symbol('oauth-mcp:guarded-body');

type Guarded = McpBodyCarrier & { [GUARDED_MCP_BODY]?: unknown };

/**
 * The JSON value of an MCP POST body, settled once so that the guard and the transport read the
 * same object. A parser that already consumed the stream (express.json, Fastify) is taken at its
 * word; a body left unread (no parser, or a Content-Type the parser did not match but the MCP
 * transport would accept) is read and parsed here, and put on `req.body`: the transport can then
 * only see this object, never bytes the guard did not inspect.
 * @throws McpBodyError (400/413) when the body is not JSON or too large (or the promise rejects with it)
 */
export function settleMcpBody(req: McpBodyCarrier): unknown | Promise<unknown> {
  const guarded = req as Guarded;
  if (Object.hasOwn(guarded, GUARDED_MCP_BODY)) return guarded[GUARDED_MCP_BODY];
  const stream = req.raw ?? (req as unknown as IncomingMessage);
  // Only an unread stream takes a promise; a body a parser already read is decided on at once.
  if (typeof stream.readableEnded === 'boolean' && !stream.readableEnded && stream.readable) {
    return readCapped(stream).then((bytes) => keep(guarded, parseJson(bytes)));
  }
  // A text or raw parser ran: decide on the bytes it read.
  return keep(guarded, typeof req.body === 'string' || Buffer.isBuffer(req.body) ? parseJson(Buffer.from(req.body)) : req.body);
}

function keep(req: Guarded, body: unknown): unknown {
  req.body = body;
  req[GUARDED_MCP_BODY] = body;
  return body;
}

/** The payload the guard inspected (`undefined` when the guard has not run on this request). */
export function guardedMcpBody(req: object): unknown {
  return (req as Guarded)[GUARDED_MCP_BODY];
}

export function hasGuardedMcpBody(req: object): boolean {
  return Object.hasOwn(req, GUARDED_MCP_BODY);
}

function readCapped(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const declared = Number(stream.headers['content-length']);
    if (declared > MAX_MCP_BODY_BYTES) {
      reject(new McpBodyError(413));
      return;
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_MCP_BODY_BYTES) {
        cleanup();
        stream.resume();
        reject(new McpBodyError(413));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = () => {
      cleanup();
      reject(new McpBodyError(400));
    };
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

function parseJson(bytes: Buffer): unknown {
  if (bytes.length === 0) return undefined;
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new McpBodyError(400);
  }
}

const TOOLS_CALL = 'tools/call';
const BASE64_SENTINEL = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/;

/** One header value, or `undefined` when absent; a repeated header is refused (which copy would a proxy use?). */
function singleHeader(req: McpBodyCarrier, name: string): string | undefined {
  const stream = req.raw ?? (req as unknown as IncomingMessage);
  const values = stream.headersDistinct?.[name] ?? (req.headers[name] === undefined ? [] : [req.headers[name]].flat());
  if (values.length === 0) return undefined;
  if (values.length > 1) throw new McpBodyError(400);
  return values[0].trim();
}

/** `Mcp-Name` as the 2026-07-28 transport encodes it: plain, or `=?base64?…?=` for non-ASCII names. */
function decodeMcpName(value: string): string {
  const sentinel = BASE64_SENTINEL.exec(value);
  if (!sentinel) return value;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(sentinel[1], 'base64'));
  } catch {
    throw new McpBodyError(400);
  }
}

/**
 * Every tool a request could run: the `params.name` of each `tools/call` in the body (one message or
 * a batch) and the tool the `Mcp-Method`/`Mcp-Name` headers name. Method names are compared without
 * case or surrounding blanks, so no spelling a lenient server would dispatch escapes the check.
 */
export function calledToolNames(body: unknown, req: McpBodyCarrier): string[] {
  const names: string[] = [];
  for (const message of Array.isArray(body) ? body : [body]) {
    if (typeof message !== 'object' || message === null) continue;
    const { method, params } = message as { method?: unknown; params?: unknown };
    if (typeof method !== 'string' || method.trim().toLowerCase() !== TOOLS_CALL) continue;
    const name = typeof params === 'object' && params !== null ? (params as { name?: unknown }).name : undefined;
    if (typeof name === 'string') names.push(name);
  }
  const headerMethod = singleHeader(req, 'mcp-method');
  const headerName = singleHeader(req, 'mcp-name');
  if (headerMethod?.toLowerCase() === TOOLS_CALL && headerName !== undefined) names.push(decodeMcpName(headerName));
  return names;
}
