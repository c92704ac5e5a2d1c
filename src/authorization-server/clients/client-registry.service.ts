import { Inject, Injectable, Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import { parseUrlStrict } from '../../config/url-rules.js';
import { InvalidClientMetadataError, InvalidRedirectUriError, TemporarilyUnavailableError } from '../../errors/oauth.errors.js';
import { OAUTH_MCP_STORE } from '../../oauth-mcp.internal-constants.js';
import { randomToken, sha256 } from '../crypto/random.js';
import type { OAuthMcpStore } from '../../store/oauth-mcp-store.interface.js';
import type { ClientRecord, TokenEndpointAuthMethod } from './client.interface.js';
import { guardedGet } from './guarded-fetch.js';
import { AuditService } from '../../audit/audit.service.js';
import { redirectUriProblem, type RedirectUriRules } from '../../config/redirect-uri.policy.js';
import { dayOf, hourOf, LiveClientCount, UNUSED_CLIENT_TTL_SECONDS } from './live-client-count.js';
import { clientNameProblem } from '../../config/client-name-rules.js';
import { staticClientAuthMethod, staticClientGrantTypes } from '../../config/static-client-rules.js';
import { StoreKeys } from '../../store/store-keys.js';

/** The client record is rewritten once a day at most; its lifetime then covers the rest of that day too. */
const ONE_DAY_SECONDS = 86_400;
const MAX_REDIRECT_URIS = 20;
/** What a client may choose at registration; `private_key_jwt` is for pre-registered clients only. */
const AUTH_METHODS: readonly TokenEndpointAuthMethod[] = ['none', 'client_secret_basic', 'client_secret_post'];
const CIMD_MAX_BYTES = 16_384;

/** The RFC 7591 §3.2.1 response: only this client's data; absent members omitted, never null. */
export interface RegistrationResponse {
  client_id: string;
  client_id_issued_at: number;
  redirect_uris: string[];
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  grant_types: string[];
  response_types: string[];
  client_name?: string;
  scope?: string;
  client_secret?: string;
  client_secret_expires_at?: number;
}

/**
 * Knows every client: pre-registered ones from configuration, dynamically registered ones (RFC 7591,
 * kept in the store), and Client ID Metadata Documents (an https `client_id` URL fetched through the
 * SSRF guard, its `client_id` equal to the URL, cached).
 */
@Injectable()
export class ClientRegistryService {
  private readonly logger = new Logger('OAuthMcp:Clients');
  private readonly cimdCache = new LRUCache<string, ClientRecord>({ max: 1000 });
  /** Pre-registered clients, resolved once (secret hashed) rather than on every lookup. */
  private readonly staticClients: ReadonlyMap<string, ClientRecord>;
  private readonly liveClients: LiveClientCount;

  constructor(
    private readonly configService: OAuthMcpConfigService,
    @Inject(OAUTH_MCP_STORE) private readonly store: OAuthMcpStore,
    private readonly audit: AuditService,
  ) {
    this.liveClients = new LiveClientCount(store, this.usedClientTtlSeconds);
    this.staticClients = new Map(
      configService.config.staticClients.map((c): [string, ClientRecord] => [
        c.client_id,
        {
          client_id: c.client_id,
          client_secret_hash: c.client_secret ? sha256(c.client_secret) : undefined,
          redirect_uris: c.redirect_uris ?? [],
          client_name: c.client_name,
          token_endpoint_auth_method: staticClientAuthMethod(c),
          grant_types: staticClientGrantTypes(c),
          response_types: staticClientGrantTypes(c).includes('authorization_code') ? ['code'] : [],
          scope: c.scope,
          jwks: c.jwks,
          jwks_uri: c.jwks_uri,
          client_id_issued_at: 0,
          source: 'static',
        },
      ]),
    );
  }

  get rules(): RedirectUriRules {
    const c = this.configService.config;
    return { allowedSchemes: c.allowedRedirectSchemes, allowlist: c.redirectUris };
  }

  async find(clientId: string): Promise<ClientRecord | undefined> {
    const configured = this.staticClients.get(clientId);
    if (configured) return configured;
    if (this.isMetadataDocumentUrl(clientId)) return this.fetchMetadataDocument(clientId);
    return this.store.get<ClientRecord>(StoreKeys.client(clientId));
  }

  /**
   * A registered client lives as long as a refresh token issued to it could (each token renews it), so
   * an active client never disappears under its user; an unused one lasts a day (O6).
   */
  private get usedClientTtlSeconds(): number {
    return this.configService.config.refreshTokenTtlSeconds;
  }

  /**
   * Called on every token issued to the client: keeps it alive and counts it as used today. The record
   * is written on the first token of a day only (not a store write per token request); its lifetime
   * gets that day on top, so it still outlives every refresh token issued to it that day.
   */
  async touch(client: ClientRecord): Promise<void> {
    if (client.source !== 'dcr') return;
    const today = dayOf(Date.now());
    if (client.last_used_day === today) return;
    if (client.last_used_day === undefined && client.registered_hour !== undefined) await this.liveClients.leftUnused(client.registered_hour);
    await this.liveClients.used(today, client.last_used_day);
    await this.store.set(StoreKeys.client(client.client_id), { ...client, last_used_day: today }, this.usedClientTtlSeconds + ONE_DAY_SECONDS);
  }

  /** RFC 7591: validates the metadata, ignores unknown members, never honours client-chosen credentials. */
  async register(body: unknown): Promise<RegistrationResponse> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidClientMetadataError('The body must be a JSON object');
    const m = body as Record<string, unknown>;
    const redirectUris = m.redirect_uris;
    if (!Array.isArray(redirectUris) || redirectUris.length === 0) throw new InvalidRedirectUriError('redirect_uris must be a non-empty array');
    if (redirectUris.length > MAX_REDIRECT_URIS) throw new InvalidRedirectUriError(`At most ${MAX_REDIRECT_URIS} redirect_uris`);
    for (const uri of redirectUris) {
      const problem = redirectUriProblem(uri, this.rules);
      if (problem) throw new InvalidRedirectUriError(`A redirect URI ${problem}`);
    }
    const method = (m.token_endpoint_auth_method ?? 'client_secret_basic') as TokenEndpointAuthMethod;
    if (!AUTH_METHODS.includes(method))
      throw new InvalidClientMetadataError('token_endpoint_auth_method must be none, client_secret_basic or client_secret_post');
    const grantTypes = stringList(m.grant_types, ['authorization_code', 'refresh_token'], 'grant_types');
    if (!grantTypes.includes('authorization_code') || grantTypes.some((g) => g !== 'authorization_code' && g !== 'refresh_token')) {
      throw new InvalidClientMetadataError('grant_types may only contain authorization_code and refresh_token');
    }
    const responseTypes = stringList(m.response_types, ['code'], 'response_types');
    if (responseTypes.some((r) => r !== 'code')) throw new InvalidClientMetadataError('response_types may only contain code');
    const clientName = optionalText(m.client_name, 200, 'client_name');
    const nameProblem = clientName === undefined ? undefined : clientNameProblem(clientName);
    if (nameProblem) throw new InvalidClientMetadataError(`client_name ${nameProblem}`);
    const scope = optionalText(m.scope, 1000, 'scope');
    const applicationType = m.application_type === 'native' || m.application_type === 'web' ? m.application_type : undefined;

    // H93/O6: live clients are capped overall (not only per IP), so a distributed flood cannot fill the
    // store; unused registrations expire within a day, so a flood cannot close registration for long.
    // Counted first, then checked: concurrent registrations never overshoot the cap.
    const hour = hourOf(Date.now());
    await this.liveClients.registered(hour);
    if ((await this.liveClients.live()) > this.configService.config.maxRegisteredClients) {
      await this.liveClients.leftUnused(hour);
      throw new TemporarilyUnavailableError('Registration is closed: this server has reached its client limit');
    }
    const now = Math.floor(Date.now() / 1000);
    const secret = method === 'none' ? undefined : randomToken(32);
    const record: ClientRecord = {
      client_id: randomToken(16),
      client_secret_hash: secret ? sha256(secret) : undefined,
      client_secret_expires_at: secret ? 0 : undefined,
      redirect_uris: redirectUris as string[],
      client_name: clientName,
      token_endpoint_auth_method: method,
      grant_types: grantTypes,
      response_types: responseTypes,
      scope: scope || undefined,
      application_type: applicationType,
      client_id_issued_at: now,
      source: 'dcr',
      registered_hour: hour,
    };
    // setIfAbsent: a generated id never overwrites an existing client, whatever the odds.
    if (!(await this.store.setIfAbsent(StoreKeys.client(record.client_id), record, UNUSED_CLIENT_TTL_SECONDS))) {
      throw new Error('client id collision');
    }
    this.audit.emit({ type: 'client_registered', clientId: record.client_id, reason: method });
    return {
      client_id: record.client_id,
      client_id_issued_at: now,
      redirect_uris: record.redirect_uris,
      token_endpoint_auth_method: method,
      grant_types: grantTypes,
      response_types: responseTypes,
      ...(clientName !== undefined ? { client_name: clientName } : {}),
      ...(record.scope !== undefined ? { scope: record.scope } : {}),
      ...(secret ? { client_secret: secret, client_secret_expires_at: 0 } : {}),
    };
  }

  private isMetadataDocumentUrl(clientId: string): boolean {
    const c = this.configService.config;
    // A registered client's id is a random token: no URL to parse on every token request.
    if (!c.clientIdMetadataDocuments || !/^https?:\/\//.test(clientId)) return false;
    const url = parseUrlStrict(clientId);
    if (!url || url.href !== clientId || url.pathname === '/' || url.hash || url.username || url.password) return false;
    return url.protocol === 'https:' || (url.protocol === 'http:' && c.allowPrivateNetworkFetch);
  }

  /** CIMD: the document must name itself as `client_id`; failures are not cached. */
  private async fetchMetadataDocument(clientId: string): Promise<ClientRecord | undefined> {
    const cached = this.cimdCache.get(clientId);
    if (cached) return cached;
    const c = this.configService.config;
    try {
      const { body, cacheControl } = await guardedGet(new URL(clientId), {
        timeoutMs: Math.min(c.fetchTimeoutMs, 5000),
        maxBytes: CIMD_MAX_BYTES,
        allowPrivate: c.allowPrivateNetworkFetch,
      });
      const doc = JSON.parse(body) as Record<string, unknown>;
      if (typeof doc !== 'object' || doc === null || doc.client_id !== clientId) return undefined;
      const uris = doc.redirect_uris;
      if (!Array.isArray(uris) || uris.length === 0 || uris.length > MAX_REDIRECT_URIS) return undefined;
      // The same rules as registration, allowlist included (O2).
      if (uris.some((u) => redirectUriProblem(u, this.rules) !== undefined)) return undefined;
      if (doc.token_endpoint_auth_method !== undefined && doc.token_endpoint_auth_method !== 'none') return undefined;
      const record: ClientRecord = {
        client_id: clientId,
        redirect_uris: uris as string[],
        // A name that could mislead on the consent page is dropped: the page then shows the URL alone.
        client_name: typeof doc.client_name === 'string' && doc.client_name.length <= 200 && !clientNameProblem(doc.client_name) ? doc.client_name : undefined,
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        client_id_issued_at: 0,
        source: 'cimd',
      };
      this.cimdCache.set(clientId, record, { ttl: cacheTtlMs(cacheControl) });
      return record;
    } catch (err) {
      this.logger.warn(`Client ID Metadata Document could not be used (${(err as Error).message})`);
      return undefined;
    }
  }
}

/** Honours `Cache-Control: max-age`, within 1 minute to 1 day; 5 minutes by default. */
function cacheTtlMs(cacheControl: string | undefined): number {
  const maxAge = /max-age=(\d+)/.exec(cacheControl ?? '')?.[1];
  const seconds = maxAge === undefined ? 300 : Math.min(86_400, Math.max(60, Number(maxAge)));
  return seconds * 1000;
}

function stringList(value: unknown, fallback: string[], name: string): string[] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || value.length === 0 || value.length > 10 || !value.every((v) => typeof v === 'string')) {
    throw new InvalidClientMetadataError(`${name} must be a non-empty array of strings`);
  }
  return [...new Set(value as string[])];
}

function optionalText(value: unknown, max: number, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > max) throw new InvalidClientMetadataError(`${name} must be a string of at most ${max} characters`);
  return value;
}
