import { parseArgs } from 'node:util';
import { commaScopeWarning } from '../config/config-warnings.js';
import { checkSecret, SECRET_PROBLEM_TEXT } from '../config/secret-rules.js';
import { mintTestToken } from '../testing/mint-test-token.js';
import { CliUsageError, loadEnv, type ResolvedCliContext } from './cli-context.js';

export const TOKEN_USAGE = `Usage: nestjs-oauth-mcp token --sub <subject> [--scope "<scopes>"] [--aud <audience>] [--ttl <duration>] [--iss <issuer>]

Mints an HS256 token signed with JWT_SECRET (from the environment or .env) for local testing of the
hmac provider, and prints it alone on stdout. Refused when NODE_ENV=production or JWT_SECRET is weak.

  --sub    subject (sub claim), required
  --scope  space-separated scopes (scope claim); repeatable
  --aud    audience (aud claim); repeatable. Default: OIDC_AUDIENCE
  --ttl    lifetime: 90, 90s, 15m, 1h, 1d (at most 30d). Default: 1h
  --iss    issuer (iss claim). Default: OIDC_ISSUER when set

  curl -H "Authorization: Bearer $(npx nestjs-oauth-mcp token --sub alice --scope mcp:read)" …`;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
const MAX_TTL_SECONDS = 30 * 86_400;

/** `90`, `90s`, `15m`, `1h`, `1d` → seconds; undefined when malformed or out of range. */
export function parseDuration(value: string): number | undefined {
  const match = /^(\d{1,7})([smhd]?)$/.exec(value.trim());
  if (!match) return undefined;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] || 's'];
  return seconds > 0 && seconds <= MAX_TTL_SECONDS ? seconds : undefined;
}

/** `nestjs-oauth-mcp token …` */
export async function tokenCommand(args: string[], context: ResolvedCliContext): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      sub: { type: 'string' },
      scope: { type: 'string', multiple: true },
      aud: { type: 'string', multiple: true },
      ttl: { type: 'string', default: '1h' },
      iss: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const env = loadEnv(context);
  if (env.NODE_ENV === 'production') {
    context.stderr.write('token: refused because NODE_ENV=production; mint tokens only for local testing\n');
    return 1;
  }
  if (!values.sub) throw new CliUsageError('token: --sub is required');
  const ttlSeconds = parseDuration(values.ttl);
  if (ttlSeconds === undefined) throw new CliUsageError('token: --ttl must be a duration such as 90s, 15m, 1h or 1d (at most 30d)');
  const aud =
    values.aud ??
    (env.OIDC_AUDIENCE
      ? env.OIDC_AUDIENCE.split(',')
          .map((a) => a.trim())
          .filter(Boolean)
      : []);
  if (aud.length === 0) throw new CliUsageError('token: --aud is required when OIDC_AUDIENCE is not set');

  const secret = env.JWT_SECRET;
  if (!secret) {
    context.stderr.write('token: JWT_SECRET is not set (environment or .env); generate one with: nestjs-oauth-mcp secret\n');
    return 1;
  }
  const problem = checkSecret(secret);
  if (problem) {
    context.stderr.write(`token: refused: JWT_SECRET ${SECRET_PROBLEM_TEXT[problem]}\n`);
    return 1;
  }

  const scope = (values.scope ?? []).join(' ').split(/\s+/).filter(Boolean);
  const iss = values.iss ?? env.OIDC_ISSUER;
  const token = await mintTestToken({ secret, sub: values.sub, scope, aud: aud.length === 1 ? aud[0] : aud, iss, ttlSeconds });
  const commaScope = commaScopeWarning(scope, 'and the token carries it as such', (spaced) => `--scope "${spaced}"`);
  if (commaScope) context.stderr.write(`token: warning: ${commaScope}\n`);
  const expires = new Date(Date.now() + ttlSeconds * 1000).toISOString();
  context.stdout.write(`${token}\n`);
  context.stderr.write(`HS256 token: sub=${values.sub} aud=${aud.join(',')}${iss ? ` iss=${iss}` : ''} scope="${scope.join(' ')}" expires ${expires}\n`);
  return 0;
}
