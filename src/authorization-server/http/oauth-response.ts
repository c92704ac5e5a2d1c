import type { FlowResponse } from '../authorize/authorization-flow.service.js';
import { headerTarget, writeJson, writeRedirect, writeResponse } from '../../http/node-response.js';
import { applySecurityHeaders } from '../../http/security-headers.js';
import { serializeCookie } from './cookies.js';

/**
 * Successful responses of the authorization server's endpoints (errors leave through
 * OAuthErrorResponder). Written on Node's response, the same on Express and Fastify.
 */
export function sendJson(res: unknown, status: number, body: unknown): void {
  const raw = headerTarget(res);
  applySecurityHeaders(raw);
  raw.setHeader('Pragma', 'no-cache');
  writeJson(res, status, body);
}

/** A browser-leg response: a page with its CSP, or a 302/303 redirect; cookies first. */
export function sendFlow(res: unknown, flow: FlowResponse, secureCookies: boolean): void {
  const raw = headerTarget(res);
  applySecurityHeaders(raw);
  const cookies = (flow.cookies ?? []).map((cookie) => serializeCookie(cookie, secureCookies));
  if (cookies.length > 0) raw.setHeader('Set-Cookie', cookies);
  if (flow.kind === 'redirect') return writeRedirect(res, flow.status, flow.location);
  raw.setHeader('Content-Security-Policy', flow.csp);
  writeResponse(res, flow.status, flow.html, 'text/html; charset=utf-8');
}

/** 204 for a CORS preflight, with the headers already set by the caller. */
export function sendNoContent(res: unknown): void {
  writeResponse(res, 204);
}
