import { Injectable } from '@nestjs/common';
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, type JWTPayload, jwtVerify, type ProtectedHeaderParameters } from 'jose';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import { SCOPE_TOKEN } from '../../config/scope-rules.js';
import { InvalidGrantError } from '../../errors/oauth.errors.js';
import { toGrantedUser } from '../upstream/upstream-client.service.js';
import type { GrantedUser } from './grant.interface.js';
import { IdJagIssuerKeys } from './id-jag-issuer-keys.js';
import { isThisResource } from './resource-indicator.js';

/** The `typ` of an ID-JAG (draft-ietf-oauth-identity-assertion-authz-grant §3), with or without `application/` (RFC 7515 §4.1.9). */
const ID_JAG_TYPS = ['oauth-id-jag+jwt', 'application/oauth-id-jag+jwt'];

/** What a verified ID-JAG grants: who (per its issuer), to which client, with which scopes, until when. */
export interface VerifiedIdJag {
  issuer: string;
  user: GrantedUser;
  /** The `scope` claim (empty when absent): the most the access token may carry. */
  scopes: string[];
  jti: string;
  exp: number;
  /** Every claim, for the access policy hook (never stored). */
  claims: Readonly<Record<string, unknown>>;
}

const bounded = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;

/**
 * Validates an Identity Assertion JWT Authorization Grant as draft-ietf-oauth-identity-assertion-authz-grant
 * §4.4.1, RFC 7521 §5.2 and the MCP Enterprise-Managed Authorization extension §7 ask, every failure
 * `invalid_grant`: `typ` `oauth-id-jag+jwt`; `iss` one of the configured issuers (byte for byte) and the
 * signature by one of its published keys with one of its algorithms; `aud` this server's issuer (one
 * value; a trailing slash tolerated); `client_id` the authenticated client; `resource` this MCP server
 * (required here: the access token is bound to it); `sub`, `jti`, `iat` and `exp` present, `iat` not in
 * the future, `exp` not past (both with the clock skew), and `exp` − `iat` within the configured maximum
 * lifetime; a `scope` of scopes this server supports. Single use is the caller's (SingleUseRegistry).
 */
@Injectable()
export class IdJagVerifier {
  constructor(
    private readonly configService: OAuthMcpConfigService,
    private readonly keys: IdJagIssuerKeys,
  ) {}

  async verify(assertion: string, clientId: string): Promise<VerifiedIdJag> {
    const c = this.configService.config;
    const { header, unverified } = readUnverified(assertion);
    if (!ID_JAG_TYPS.includes(header.typ ?? '')) throw new InvalidGrantError('The assertion is not an ID-JAG (typ must be oauth-id-jag+jwt)');
    const trusted = this.keys.trusted(unverified.iss);
    if (!trusted) throw new InvalidGrantError('The assertion comes from an issuer this server does not trust');
    if (typeof header.alg !== 'string' || !trusted.algorithms.includes(header.alg))
      throw new InvalidGrantError('The assertion is signed with an algorithm its issuer may not use here');
    const key = await this.keys.key(trusted.issuer, header.kid, header.alg);
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(assertion, key, {
        algorithms: [...trusted.algorithms],
        issuer: trusted.issuer,
        clockTolerance: c.clockSkewSeconds,
        requiredClaims: ['sub', 'aud', 'jti', 'iat', 'exp', 'client_id'],
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new InvalidGrantError('The assertion has expired');
      if (err instanceof joseErrors.JWTClaimValidationFailed)
        throw new InvalidGrantError(`The assertion lacks a required claim or has an invalid one (${err.claim})`);
      throw new InvalidGrantError('The assertion signature is invalid');
    }
    this.checkBinding(claims, clientId);
    const now = Date.now() / 1000;
    const { iat, exp } = claims as { iat: number; exp: number };
    if (iat > now + c.clockSkewSeconds) throw new InvalidGrantError('The assertion was issued in the future');
    if (exp - iat > c.idJag!.maxLifetimeSeconds) throw new InvalidGrantError('The assertion lives longer than this server accepts');
    if (!bounded(claims.jti, 256)) throw new InvalidGrantError('The assertion needs a jti');
    if (!bounded(claims.sub, 512)) throw new InvalidGrantError('The assertion needs a sub');
    return {
      issuer: trusted.issuer,
      user: toGrantedUser(claims),
      scopes: this.scopes(claims.scope),
      jti: claims.jti,
      exp,
      claims: Object.freeze({ ...claims }),
    };
  }

  /** `aud` = this authorization server, `client_id` = the caller, `resource` = this MCP server: a bound triple. */
  private checkBinding(claims: JWTPayload, clientId: string): void {
    const issuer = this.configService.config.issuer!;
    const aud = Array.isArray(claims.aud) && claims.aud.length === 1 ? claims.aud[0] : claims.aud;
    if (aud !== issuer && aud !== `${issuer}/`) throw new InvalidGrantError('The assertion was issued for another authorization server (aud)');
    if (claims.client_id !== clientId) throw new InvalidGrantError('The assertion was issued to another client (client_id)');
    const resource = claims.resource;
    const resources = Array.isArray(resource) ? resource : [resource];
    if (resources.length === 0 || !resources.every((r) => typeof r === 'string' && isThisResource(this.configService.config, r))) {
      throw new InvalidGrantError('The assertion is not for this MCP server (resource)');
    }
  }

  /** RFC 6749 §3.3 syntax; a scope this server does not have is a mismatch (extension §7.6.2), not something to drop. */
  private scopes(scope: unknown): string[] {
    if (scope === undefined) return [];
    const list = typeof scope === 'string' ? scope.split(' ') : [];
    if (list.length === 0 || !list.every((s) => SCOPE_TOKEN.test(s))) throw new InvalidGrantError('The assertion scope is malformed');
    if (!list.every((s) => this.configService.config.scopes.includes(s)))
      throw new InvalidGrantError('The assertion carries a scope this server does not have');
    return [...new Set(list)];
  }
}

/** Header and claims before verification: only to pick the issuer and key. A JWE (5 parts) is not accepted. */
function readUnverified(assertion: string): { header: ProtectedHeaderParameters; unverified: JWTPayload } {
  if (assertion.split('.').length !== 3) throw new InvalidGrantError('The assertion must be a signed JWT');
  try {
    return { header: decodeProtectedHeader(assertion), unverified: decodeJwt(assertion) };
  } catch {
    throw new InvalidGrantError('The assertion must be a signed JWT');
  }
}
