import { randomBytes } from 'node:crypto';
import { checkSecret } from '../config/secret-rules.js';
import type { ResolvedCliContext } from './cli-context.js';

export const SECRET_USAGE = `Usage: nestjs-oauth-mcp secret

Prints a new random 32-byte secret, base64-encoded (44 characters), for JWT_SECRET:
  echo "JWT_SECRET=$(npx nestjs-oauth-mcp secret)" >> .env`;

/** A random 32-byte base64 secret that passes the startup rules (re-drawn in the unlikely case it would not). */
export function generateSecret(): string {
  for (;;) {
    const secret = randomBytes(32).toString('base64');
    if (checkSecret(secret) === undefined) return secret;
  }
}

/** `nestjs-oauth-mcp secret`: the secret alone on stdout, so it can be captured with `$(…)`. */
export function secretCommand(context: ResolvedCliContext): number {
  context.stdout.write(`${generateSecret()}\n`);
  return 0;
}
