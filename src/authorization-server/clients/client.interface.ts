export type TokenEndpointAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

/** A client as the authorization server knows it (secrets only as SHA-256). */
export interface ClientRecord {
  client_id: string;
  client_secret_hash?: string;
  /** Epoch seconds; 0 = never. */
  client_secret_expires_at?: number;
  redirect_uris: string[];
  client_name?: string;
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  grant_types: string[];
  response_types: string[];
  /** Scopes the client may be granted (space-separated); absent = any. Enforced for pre-registered clients. */
  scope?: string;
  /** `private_key_jwt` (pre-registered clients only): the client's public keys, or where it publishes them. */
  jwks?: { keys: Record<string, unknown>[] };
  jwks_uri?: string;
  application_type?: 'web' | 'native';
  client_id_issued_at: number;
  source: 'dcr' | 'static' | 'cimd';
  /** DCR: hour (since the epoch) of the registration, for the live-client count. */
  registered_hour?: number;
  /** DCR: day (since the epoch) of the last token issued to it; absent while unused. */
  last_used_day?: number;
}
