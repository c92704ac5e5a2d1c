import { Injectable } from '@nestjs/common';
import { InvalidClientError, InvalidRequestError } from '../../errors/oauth.errors.js';
import type { ClientRecord } from '../clients/client.interface.js';
import { ClientRegistryService } from '../clients/client-registry.service.js';
import { safeEqual, sha256 } from '../crypto/random.js';
import { single } from '../http/request-params.js';

/** The client making a token or revocation request, and how it authenticated. */
export interface AuthenticatedClient {
  client: ClientRecord;
  usedBasicAuth: boolean;
}

/**
 * RFC 6749 §2.3: `none` (client_id in the body), `client_secret_post`, `client_secret_basic` (each part
 * form-urlencoded before base64, decoded tolerantly). Exactly one method per request; secrets compared
 * in constant time; unknown clients are `invalid_client` so SDK clients re-register.
 */
@Injectable()
export class ClientAuthenticator {
  constructor(private readonly clients: ClientRegistryService) {}

  async authenticate(authorization: string | undefined, body: unknown): Promise<AuthenticatedClient> {
    const bodyId = single(body, 'client_id', 2048);
    const bodySecret = single(body, 'client_secret', 1024);
    let id = bodyId;
    let secret = bodySecret;
    const basic = authorization !== undefined && /^basic /i.test(authorization);
    if (authorization !== undefined && !basic) throw new InvalidRequestError('Only HTTP Basic client authentication is accepted in the Authorization header');
    if (basic) {
      if (bodySecret !== undefined) throw new InvalidRequestError('Use one client authentication method, not two');
      const decoded = decodeBasic(authorization!.slice(6).trim());
      if (!decoded) throw new InvalidClientError('Malformed Basic credentials', true);
      if (bodyId !== undefined && bodyId !== decoded.id) throw new InvalidRequestError('client_id differs from the authenticated client');
      ({ id, secret } = decoded);
    }
    if (!id) throw new InvalidClientError('client_id is required', basic);
    const client = await this.clients.find(id);
    if (!client) throw new InvalidClientError('Unknown client', basic);
    if (client.token_endpoint_auth_method === 'none') {
      if (secret !== undefined) throw new InvalidClientError('This client is public and has no secret', basic);
      return { client, usedBasicAuth: basic };
    }
    const expired = client.client_secret_expires_at !== undefined && client.client_secret_expires_at !== 0 && client.client_secret_expires_at * 1000 < Date.now();
    if (secret === undefined || !client.client_secret_hash || expired || !safeEqual(sha256(secret), client.client_secret_hash)) {
      throw new InvalidClientError('Client authentication failed', basic);
    }
    return { client, usedBasicAuth: basic };
  }
}

function decodeBasic(value: string): { id: string; secret: string } | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length > 4096) return undefined;
  const text = Buffer.from(value, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  try {
    // RFC 6749 §2.3.1 form-urlencodes both parts; clients that do not are still decoded correctly.
    return { id: decodeURIComponent(text.slice(0, colon).replace(/\+/g, ' ')), secret: decodeURIComponent(text.slice(colon + 1).replace(/\+/g, ' ')) };
  } catch {
    return undefined;
  }
}
