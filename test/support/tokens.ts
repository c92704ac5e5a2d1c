import { createHmac } from 'node:crypto';
import { SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import type { TestKey } from './jwks-server.js';

export const now = (): number => Math.floor(Date.now() / 1000);

/** Signs a JWT with a test key; `header` overrides or adds protected header members. */
export function signWithKey(key: TestKey, payload: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header } as never).sign(key.privateKey as CryptoKey);
}

export function signHmac(secret: string, payload: JWTPayload, header: Record<string, unknown> = {}, alg = 'HS256'): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT', ...header } as never).sign(new TextEncoder().encode(secret));
}

export const b64url = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Builds a compact JWS by hand (for hostile headers jose refuses to produce), HMAC-signed with `secret`. */
export function handMadeHs256(header: object, payload: object, secret: string | Buffer): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}
