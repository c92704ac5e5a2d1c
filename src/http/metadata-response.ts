import { HttpStatus } from '@nestjs/common';
import { MethodNotAllowedError } from '../errors/oauth.errors.js';
import { headerTarget, writeResponse } from './node-response.js';
import type { ModuleRequest } from './node-request.js';
import { applySecurityHeaders } from './security-headers.js';

const ALLOWED_METHODS = ['GET', 'HEAD', 'OPTIONS'];

/**
 * Answers a public metadata document (PRM, AS metadata, JWKS): GET/HEAD with the JSON body, OPTIONS
 * preflight echoing the requested headers, 405 with `Allow` otherwise (thrown: the error exit writes
 * it). Open to every origin (no credentials are involved), cacheable for 5 minutes.
 */
export function serveMetadata(req: ModuleRequest, res: unknown, body: string): void {
  const raw = headerTarget(res);
  raw.setHeader('Access-Control-Allow-Origin', '*');
  if (req.method === 'OPTIONS') {
    applySecurityHeaders(raw, 'public, max-age=300');
    raw.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS.join(', '));
    const requested = req.headers['access-control-request-headers'];
    if (typeof requested === 'string' && /^[A-Za-z0-9-, ]{0,512}$/.test(requested)) raw.setHeader('Access-Control-Allow-Headers', requested);
    raw.setHeader('Access-Control-Max-Age', '86400');
    return writeResponse(res, HttpStatus.NO_CONTENT);
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new MethodNotAllowedError(ALLOWED_METHODS);
  applySecurityHeaders(raw, 'public, max-age=300');
  writeResponse(res, HttpStatus.OK, req.method === 'HEAD' ? undefined : body, 'application/json; charset=utf-8');
}
