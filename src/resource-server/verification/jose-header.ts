import { InvalidTokenError } from '../../errors/oauth.errors.js';
import { TOKEN_MESSAGES } from '../../errors/messages.constant.js';
import { JWS_COMPACT } from './jws-compact.js';

/** The protected header fields the module reads. */
export interface JoseHeader {
  alg: string;
  kid?: string;
  typ?: string;
}

/**
 * Header parameters that are refused outright: key material or key locations embedded in the token
 * (RFC 8725 §3.10; node-jose CVE-2018-0114), critical extensions we do not implement (RFC 7515
 * §4.1.11), unencoded payloads (RFC 7797), and anything JWE.
 */
const REFUSED_HEADER_PARAMS = ['crit', 'b64', 'jwk', 'jku', 'x5u', 'x5c', 'zip', 'enc', 'epk', 'p2s', 'p2c'];
const ACCEPTED_TYP = new Set(['jwt', 'at+jwt', 'application/jwt', 'application/at+jwt']);

/** Accepted headers kept by `JoseHeaderInspector`; a full memo is emptied, so hostile variety stays bounded. */
const MEMO_ENTRIES = 64;

/**
 * The JOSE rules jsonwebtoken does not enforce, checked on the protected header before any key
 * lookup (so a hostile header never causes a JWKS fetch): compact JWS shape, no embedded keys or key
 * locations, no `crit`, an allowlisted `alg`, a sane `kid`, and an access-token `typ`. One inspector per
 * strategy's settings; it remembers accepted headers by their encoded segment:
 * an IdP signs every token with one of a few headers, so decoding and parsing the same bytes again on each
 * new token is waste (about 1.5 µs of a cold HS256 verification). The shape of every token is still
 * checked; a refused header is refused again each time (never remembered).
 */
export class JoseHeaderInspector {
  private readonly accepted = new Map<string, JoseHeader>();

  constructor(
    private readonly algorithms: readonly string[],
    private readonly requireAccessTokenType: boolean,
  ) {}

  inspect(token: string): JoseHeader {
    if (!JWS_COMPACT.test(token)) throw new InvalidTokenError(TOKEN_MESSAGES.malformed);
    const segment = token.slice(0, token.indexOf('.'));
    let header = this.accepted.get(segment);
    if (header === undefined) {
      header = Object.freeze(headerRules(segment, this.algorithms, this.requireAccessTokenType));
      if (this.accepted.size >= MEMO_ENTRIES) this.accepted.clear();
      this.accepted.set(segment, header);
    }
    return header;
  }
}

function headerRules(segment: string, algorithms: readonly string[], requireAccessTokenType: boolean): JoseHeader {
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidTokenError(TOKEN_MESSAGES.malformed);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new InvalidTokenError(TOKEN_MESSAGES.malformed);
  }
  const h = header as Record<string, unknown>;
  if (REFUSED_HEADER_PARAMS.some((p) => p in h)) throw new InvalidTokenError(TOKEN_MESSAGES.unsupportedHeader);
  if (typeof h.alg !== 'string' || !algorithms.includes(h.alg)) throw new InvalidTokenError(TOKEN_MESSAGES.algorithm);
  if (h.kid !== undefined && (typeof h.kid !== 'string' || h.kid.length === 0 || h.kid.length > 256)) {
    throw new InvalidTokenError(TOKEN_MESSAGES.malformed);
  }
  if (h.typ !== undefined) {
    const typ = typeof h.typ === 'string' ? h.typ.toLowerCase() : '';
    if (!ACCEPTED_TYP.has(typ)) throw new InvalidTokenError(TOKEN_MESSAGES.type);
  }
  if (requireAccessTokenType && !(typeof h.typ === 'string' && h.typ.toLowerCase().endsWith('at+jwt'))) {
    throw new InvalidTokenError(TOKEN_MESSAGES.type);
  }
  return { alg: h.alg, kid: h.kid as string | undefined, typ: h.typ as string | undefined };
}
