import { Injectable } from '@nestjs/common';
import { InvalidClientError, InvalidRequestError } from '../../errors/oauth.errors.js';
import type { ClientRecord } from '../clients/client.interface.js';
import { ClientRegistryService } from '../clients/client-registry.service.js';
import { safeEqual, sha256 } from '../crypto/random.js';
import { single } from '../http/request-params.js';
import { CLIENT_ASSERTION_TYPE, ClientAssertionVerifier, MAX_CLIENT_ASSERTION_LENGTH, type PendingAssertion } from './client-assertion.js';

/** The client making a token or revocation request, and how it authenticated. */
export interface AuthenticatedClient {
  client: ClientRecord;
  usedBasicAuth: boolean;
  /** `private_key_jwt`: the assertion's `jti`, claimed (`claimAssertion`) once the request is about to succeed. */
  assertion?: PendingAssertion;
}

/**
 * RFC 6749 §2.3: `none` (client_id in the body), `client_secret_post`, `client_secret_basic` (each part
 * form-urlencoded before base64; clients that skip the encoding are understood too), and for
 * pre-registered clients `private_key_jwt` (RFC 7523 §2.2; `client_id` may then be omitted). Exactly one
 * method per request; secrets compared in constant time; unknown clients are `invalid_client` so SDK
 * clients re-register.
 */
@Injectable()
export class ClientAuthenticator {
  constructor(
    private readonly clients: ClientRegistryService,
    private readonly assertions: ClientAssertionVerifier,
  ) {}

  async authenticate(authorization: string | undefined, body: unknown): Promise<AuthenticatedClient> {
    const bodyId = single(body, 'client_id', 2048);
    const bodySecret = single(body, 'client_secret', 1024);
    const basic = authorization !== undefined && /^basic /i.test(authorization);
    if (authorization !== undefined && !basic) throw new InvalidRequestError('Only HTTP Basic client authentication is accepted in the Authorization header');
    const assertionType = single(body, 'client_assertion_type', 256);
    const assertion = single(body, 'client_assertion', MAX_CLIENT_ASSERTION_LENGTH);
    if (assertionType !== undefined || assertion !== undefined) {
      if (basic || bodySecret !== undefined) throw new InvalidRequestError('Use one client authentication method, not two');
      if (!assertionType || !assertion) throw new InvalidRequestError('client_assertion and client_assertion_type are sent together');
      if (assertionType !== CLIENT_ASSERTION_TYPE) throw new InvalidClientError('Only JWT client assertions (RFC 7523) are accepted');
      const verified = await this.assertions.verify(assertion, bodyId);
      return { client: verified.client, usedBasicAuth: false, assertion: verified.assertion };
    }
    let ids: string[] = bodyId === undefined ? [] : [bodyId];
    let secrets: string[] = bodySecret === undefined ? [] : [bodySecret];
    if (basic) {
      if (bodySecret !== undefined) throw new InvalidRequestError('Use one client authentication method, not two');
      const decoded = decodeBasic(authorization!.slice(6).trim());
      if (!decoded) throw new InvalidClientError('Malformed Basic credentials', true);
      if (bodyId !== undefined && !decoded.ids.includes(bodyId)) throw new InvalidRequestError('client_id differs from the authenticated client');
      ({ ids, secrets } = decoded);
    }
    if (ids.length === 0 || !ids[0]) throw new InvalidClientError('client_id is required', basic);
    const client = await this.findFirst(ids);
    if (!client) throw new InvalidClientError('Unknown client', basic);
    if (client.token_endpoint_auth_method === 'private_key_jwt') throw new InvalidClientError('This client authenticates with a client assertion', basic);
    if (client.token_endpoint_auth_method === 'none') {
      if (secrets.length > 0) throw new InvalidClientError('This client is public and has no secret', basic);
      return { client, usedBasicAuth: basic };
    }
    const expired =
      client.client_secret_expires_at !== undefined && client.client_secret_expires_at !== 0 && client.client_secret_expires_at * 1000 < Date.now();
    // Every reading is compared (constant time each), so the time taken says nothing about which matched.
    const matches = secrets.map((secret) => client.client_secret_hash !== undefined && safeEqual(sha256(secret), client.client_secret_hash));
    if (expired || !matches.includes(true)) throw new InvalidClientError('Client authentication failed', basic);
    return { client, usedBasicAuth: basic };
  }

  /** Marks the request's client assertion as used (nothing for other methods); a replay is `invalid_client`. */
  async claimAssertion(authenticated: AuthenticatedClient): Promise<void> {
    if (authenticated.assertion) await this.assertions.claim(authenticated.client.client_id, authenticated.assertion);
  }

  private async findFirst(ids: readonly string[]): Promise<ClientRecord | undefined> {
    for (const id of ids) {
      const client = await this.clients.find(id);
      if (client) return client;
    }
    return undefined;
  }
}

/**
 * RFC 6749 §2.3.1: the client id and secret are form-urlencoded, then joined by ':' and base64-encoded.
 * Many clients (curl -u, Python requests) skip the form-encoding, and for a secret holding `+` or `%`
 * the two readings differ; both are kept (the encoded reading first) and a secret matching either one
 * authenticates. Invalid `%` sequences are kept as they are, as form decoding does.
 */
function decodeBasic(value: string): { ids: string[]; secrets: string[] } | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length > 4096) return undefined;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(Buffer.from(value, 'base64'));
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  const readings = (part: string) => [...new Set([formDecode(part), part].filter((v): v is string => v !== undefined))];
  return { ids: readings(text.slice(0, colon)), secrets: readings(text.slice(colon + 1)) };
}

/** application/x-www-form-urlencoded decoding of one value; undefined when the bytes are not UTF-8. */
function formDecode(value: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '+') bytes.push(0x20);
    else if (c === '%' && /^[0-9A-Fa-f]{2}$/.test(value.slice(i + 1, i + 3))) {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(c, 'utf8'));
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
}
