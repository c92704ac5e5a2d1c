import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import type { ResolvedOAuthMcpConfig } from '../../config/resolved-config.interface.js';
import { InvalidDpopProofError, OAuthError, TemporarilyUnavailableError, UseDpopNonceError } from '../../errors/oauth.errors.js';
import { DPOP_MESSAGES } from '../../errors/messages.constant.js';
import { OAUTH_MCP_STORE } from '../../oauth-mcp.internal-constants.js';
import type { OAuthMcpStore } from '../../store/oauth-mcp-store.interface.js';
import { StoreKeys } from '../../store/store-keys.js';
import { checkDpopProof, requestUrl } from './dpop-proof.js';
import { DpopNonces } from './dpop-nonces.js';

/** The request a proof came with. */
export interface DpopRequest {
  method: string;
  url?: string;
  originalUrl?: string;
  headers: Record<string, string | string[] | undefined>;
}

/** What the proof is checked against beyond its request. */
export interface DpopBinding {
  /** Resource requests: the presented access token (`ath`) and the key it is bound to (`cnf.jkt`). */
  accessToken?: string;
  jkt?: string;
  atResource: boolean;
}

/** A proof that passed every check but single use: its key, and the mark that spends it. */
export interface CheckedProof {
  jkt: string;
  /** Store key of the proof's `jti` mark, and how long it must live. */
  mark: { key: string; ttlSeconds: number; atResource: boolean };
}

/**
 * The `DPoP` header of a request, if any. Node joins a repeated unknown header with `, `; a proof has
 * no comma, so a comma means more than one (RFC 9449 §4.3 step 1).
 */
export function dpopHeader(req: Pick<DpopRequest, 'headers'>, atResource: boolean): string | undefined {
  const value = req.headers.dpop;
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.includes(',')) throw new InvalidDpopProofError(DPOP_MESSAGES.multiple, atResource);
  return value.trim();
}

/**
 * A request's DPoP proof, all of RFC 9449 §4.3: the proof itself (`checkDpopProof`), the key the token
 * is bound to, the server nonce when required, and single use of its `jti` — claimed last, in the store
 * (every replica shares it) for as long as the proof's `iat` is accepted, so a refused proof stores
 * nothing. A store that cannot be reached is a 503: a replay is never let through.
 */
@Injectable()
export class DpopVerifier {
  private readonly config: ResolvedOAuthMcpConfig;
  private readonly origin: string;
  readonly nonces: DpopNonces;

  constructor(
    configService: OAuthMcpConfigService,
    @Inject(OAUTH_MCP_STORE) private readonly store: OAuthMcpStore,
  ) {
    this.config = configService.config;
    this.origin = new URL(this.config.serverUrl).origin;
    this.nonces = new DpopNonces(store);
  }

  /** The proof's key thumbprint (`jkt`) once every check passed and its `jti` is spent. */
  async verify(req: DpopRequest, binding: DpopBinding): Promise<string> {
    const checked = await this.check(req, binding);
    await this.spend(checked);
    return checked.jkt;
  }

  /**
   * Every check but single use; nothing is stored. The token endpoint spends the proof only once the grant
   * succeeded, so a request refused for anything else leaves no mark.
   */
  async check(req: DpopRequest, binding: DpopBinding): Promise<CheckedProof> {
    const proof = dpopHeader(req, binding.atResource);
    if (proof === undefined) throw new InvalidDpopProofError(DPOP_MESSAGES.missing, binding.atResource);
    const c = this.config;
    const checked = await checkDpopProof(proof, {
      method: req.method,
      url: requestUrl(this.origin, req),
      accessToken: binding.accessToken,
      maxAgeSeconds: c.dpopProofMaxAgeSeconds,
      skewSeconds: c.clockSkewSeconds,
      atResource: binding.atResource,
    });
    if (binding.jkt !== undefined && checked.jkt !== binding.jkt) throw new InvalidDpopProofError(DPOP_MESSAGES.key, binding.atResource);
    try {
      if (c.dpopNonce && !(await this.nonces.accepts(checked.nonce))) throw new UseDpopNonceError(await this.nonces.current(), binding.atResource);
    } catch (err) {
      throw err instanceof OAuthError ? err : new TemporarilyUnavailableError();
    }
    const key = StoreKeys.dpopJti(createHash('sha256').update(`${checked.jkt}\n${checked.jti}`).digest('base64url'));
    return { jkt: checked.jkt, mark: { key, ttlSeconds: c.dpopProofMaxAgeSeconds + 2 * c.clockSkewSeconds, atResource: binding.atResource } };
  }

  /** Marks the proof used (first writer wins, every replica sharing the store sees it); a second use is refused. */
  async spend({ mark }: CheckedProof): Promise<void> {
    let first: boolean;
    try {
      first = await this.store.setIfAbsent(mark.key, 1, mark.ttlSeconds);
    } catch {
      throw new TemporarilyUnavailableError();
    }
    if (!first) throw new InvalidDpopProofError(DPOP_MESSAGES.replay, mark.atResource);
  }
}
