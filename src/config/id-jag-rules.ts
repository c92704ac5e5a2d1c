import { ASYMMETRIC_ALGORITHMS } from './algorithm-rules.js';
import { checkServerUrl, URL_PROBLEM_TEXT } from './url-rules.js';

/** What a trusted issuer may sign with when `algorithms` is not given. */
export const DEFAULT_ID_JAG_ALGORITHMS = ['RS256', 'ES256'];
export const DEFAULT_ID_JAG_MAX_LIFETIME_SECONDS = 300;
const MAX_ISSUERS = 20;

/** The options the ID-JAG rules read besides the issuers. */
export interface IdJagRulesContext {
  mode?: unknown;
  production?: unknown;
  serverUrl?: unknown;
}

function issuerProblem(entry: unknown, production: boolean, serverUrl: unknown): string | undefined {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return 'must be an object with an issuer';
  const { issuer, jwksUri, algorithms, ...rest } = entry as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return 'may only have issuer, jwksUri and algorithms';
  const bad = checkServerUrl(issuer, production);
  if (bad) return `has an issuer that ${URL_PROBLEM_TEXT[bad]}`;
  if (typeof serverUrl === 'string' && (issuer === serverUrl || issuer === `${serverUrl}/` || `${issuer as string}/` === serverUrl)) {
    return 'names this server: an ID-JAG comes from the enterprise IdP, never from the server that redeems it';
  }
  if (jwksUri !== undefined) {
    const badUri = checkServerUrl(jwksUri, production);
    if (badUri) return `has a jwksUri that ${URL_PROBLEM_TEXT[badUri]}`;
  }
  if (algorithms !== undefined) {
    if (!Array.isArray(algorithms) || algorithms.length === 0 || !algorithms.every((a) => (ASYMMETRIC_ALGORITHMS as readonly unknown[]).includes(a))) {
      return `has algorithms that must be a non-empty list of ${ASYMMETRIC_ALGORITHMS.join(', ')} (never none or HS*)`;
    }
  }
  return undefined;
}

/** Trusted ID-JAG issuers, each explicit: its issuer (byte for byte), its keys' location, its algorithms. */
export function idJagIssuersProblem(value: unknown, o: IdJagRulesContext): string | undefined {
  if (o.mode !== 'proxy') return 'is only used in proxy mode (this server issues the access tokens an ID-JAG is redeemed for)';
  if (!Array.isArray(value)) return 'must be comma-separated issuer URLs, or a JSON array of { issuer, jwksUri?, algorithms? }';
  if (value.length === 0) return 'must list at least one trusted issuer';
  if (value.length > MAX_ISSUERS) return `must list at most ${MAX_ISSUERS} issuers`;
  for (const [i, entry] of value.entries()) {
    const problem = issuerProblem(entry, o.production === true, o.serverUrl);
    if (problem) return `entry ${i + 1} ${problem}`;
  }
  const issuers = value.map((e) => (e as { issuer: string }).issuer);
  return new Set(issuers).size === issuers.length ? undefined : 'must not repeat an issuer';
}
