import { HttpStatus } from '@nestjs/common';
import type { Request, Response } from 'express';
import { applySecurityHeaders } from './security-headers.js';

const ALLOWED_METHODS = 'GET, HEAD, OPTIONS';

/**
 * Answers a public metadata document (PRM, AS metadata, JWKS): GET/HEAD with the JSON body, OPTIONS
 * preflight echoing the requested headers, 405 with `Allow` otherwise. Open to every origin (no
 * credentials are involved), cacheable for 5 minutes.
 */
export function serveMetadata(req: Request, res: Response, body: string): void {
  applySecurityHeaders(res, 'public, max-age=300');
  res.setHeader('Access-Control-Allow-Origin', '*');
  if (req.method === 'OPTIONS') {
    res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
    const requested = req.headers['access-control-request-headers'];
    if (typeof requested === 'string' && /^[A-Za-z0-9-, ]{0,512}$/.test(requested)) res.setHeader('Access-Control-Allow-Headers', requested);
    res.setHeader('Access-Control-Max-Age', '86400');
    res.status(HttpStatus.NO_CONTENT).end();
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', ALLOWED_METHODS);
    res.status(HttpStatus.METHOD_NOT_ALLOWED).json({ error: 'method_not_allowed', error_description: 'Use GET' });
    return;
  }
  res.status(HttpStatus.OK).type('application/json').send(body);
}

export function sendNotFound(res: Response): void {
  applySecurityHeaders(res);
  res.status(HttpStatus.NOT_FOUND).json({ error: 'not_found', error_description: 'No such endpoint' });
}
