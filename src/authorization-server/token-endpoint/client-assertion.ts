import { Injectable } from '@nestjs/common';
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, type JWTPayload } from 'jose';
import { ASYMMETRIC_ALGORITHMS } from '../../config/algorithm-rules.js';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import { InvalidClientError } from '../../errors/oauth.errors.js';
import { AuditService } from '../../audit/audit.service.js';
import type { ClientRecord } from '../clients/client.interface.js';
import { ClientKeysService } from '../clients/client-keys.service.js';
import { ClientRegistryService } from '../clients/client-registry.service.js';
import { sha256 } from '../crypto/random.js';
import { type SingleUseMark, SingleUseRegistry } from '../grants/single-use.js';

/** RFC 7523 §2.2: the one client assertion type accepted. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Largest client assertion read, characters. */
export const MAX_CLIENT_ASSERTION_LENGTH = 8192;
/**
 * The longest a client assertion may still live when it arrives: it is single use, and its `jti` is
 * remembered until `exp`, so a far-off `exp` is refused rather than stored (the SDK signs for 300 s).
 */
export const MAX_CLIENT_ASSERTION_LIFETIME_SECONDS = 600;
/** `typ` values a client assertion may carry: none, plain JWT, or the explicit type of draft-ietf-oauth-rfc7523bis. */
const ACCEPTED_TYPS = [undefined, 'JWT', 'client-authentication+jwt', 'application/client-authentication+jwt'];

/** A verified assertion's `jti`, to claim once the request succeeds, and the assertion's hash prefix for audit events. */
export interface PendingAssertion {
  mark: SingleUseMark;
  tokenHash: string;
}

/** A verified assertion: the client it authenticates, and its pending `jti`. */
export interface VerifiedClientAssertion {
  client: ClientRecord;
  assertion: PendingAssertion;
}

/**
 * `private_key_jwt` (RFC 7523 §2.2, §3): a JWT signed with one of the client's registered keys, `iss` =
 * `sub` = its client_id, `aud` exactly this server's issuer or its token endpoint (one string: an array is
 * refused, as draft-ietf-oauth-rfc7523bis asks), an `exp` at most 10 minutes ahead, an `iat` not in the
 * future, and a `jti` never seen before. Every failure is `invalid_client`.
 */
@Injectable()
export class ClientAssertionVerifier {
  constructor(
    private readonly configService: OAuthMcpConfigService,
    private readonly clients: ClientRegistryService,
    private readonly keys: ClientKeysService,
    private readonly singleUse: SingleUseRegistry,
    private readonly audit: AuditService,
  ) {}

  async verify(assertion: string, claimedClientId: string | undefined): Promise<VerifiedClientAssertion> {
    const c = this.configService.config;
    const unverified = readUnverified(assertion);
    const clientId = unverified.sub;
    if (typeof clientId !== 'string' || clientId.length === 0 || unverified.iss !== clientId) {
      throw new InvalidClientError('The client assertion must have iss and sub equal to the client_id');
    }
    if (claimedClientId !== undefined && claimedClientId !== clientId) throw new InvalidClientError('client_id differs from the client assertion');
    const client = await this.clients.find(clientId);
    if (!client || client.token_endpoint_auth_method !== 'private_key_jwt')
      throw new InvalidClientError('Unknown client, or one that does not authenticate with private_key_jwt');
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await this.keys.verify(assertion, client, {
        algorithms: [...ASYMMETRIC_ALGORITHMS],
        issuer: clientId,
        subject: clientId,
        clockTolerance: c.clockSkewSeconds,
        requiredClaims: ['exp', 'jti', 'aud'],
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new InvalidClientError('The client assertion has expired');
      if (err instanceof joseErrors.JWTClaimValidationFailed) throw new InvalidClientError('The client assertion lacks a required claim or has an invalid one');
      throw new InvalidClientError('The client assertion is not signed by a key of this client');
    }
    const tokenEndpoint = `${c.issuer}/oauth/token`;
    if (typeof claims.aud !== 'string' || (claims.aud !== c.issuer && claims.aud !== tokenEndpoint)) {
      throw new InvalidClientError("The client assertion's aud must be this server's issuer or token endpoint");
    }
    const now = Date.now() / 1000;
    if (claims.exp! > now + MAX_CLIENT_ASSERTION_LIFETIME_SECONDS + c.clockSkewSeconds)
      throw new InvalidClientError('The client assertion expires too far in the future');
    if (claims.iat !== undefined && claims.iat > now + c.clockSkewSeconds) throw new InvalidClientError('The client assertion was issued in the future');
    if (typeof claims.jti !== 'string' || claims.jti.length === 0 || claims.jti.length > 256) throw new InvalidClientError('The client assertion needs a jti');
    const pending = {
      mark: this.singleUse.mark('client-assertion', clientId, claims.jti, claims.exp!, c.clockSkewSeconds),
      tokenHash: sha256(assertion).slice(0, 12),
    };
    if (await this.singleUse.used(pending.mark)) this.replayed(clientId, pending);
    return { client, assertion: pending };
  }

  /** Claims the assertion's `jti`; a second claim (a replay, or the same assertion sent twice at once) is refused. */
  async claim(clientId: string, pending: PendingAssertion): Promise<void> {
    if (!(await this.singleUse.claim(pending.mark))) this.replayed(clientId, pending);
  }

  private replayed(clientId: string, pending: PendingAssertion): never {
    this.audit.emit({ type: 'assertion_replay', clientId, reason: 'client_assertion', tokenHash: pending.tokenHash });
    throw new InvalidClientError('The client assertion was already used');
  }
}

/** The header and claims before verification: only to find the client; nothing here is trusted yet. */
function readUnverified(assertion: string): JWTPayload {
  if (assertion.split('.').length !== 3) throw new InvalidClientError('The client assertion must be a signed JWT');
  try {
    const header = decodeProtectedHeader(assertion);
    if (typeof header.alg !== 'string' || !(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(header.alg)) {
      throw new InvalidClientError(`The client assertion must be signed with ${ASYMMETRIC_ALGORITHMS.join(', ')}`);
    }
    if (!ACCEPTED_TYPS.includes(header.typ)) throw new InvalidClientError('The client assertion has an unexpected typ');
    return decodeJwt(assertion);
  } catch (err) {
    if (err instanceof InvalidClientError) throw err;
    throw new InvalidClientError('The client assertion must be a signed JWT');
  }
}
