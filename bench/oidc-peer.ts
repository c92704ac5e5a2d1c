/**
 * The proxy-mode peer: node-oidc-provider's own authorization and token endpoints, configured for what
 * this module's token endpoint does: a public client, PKCE S256 required, an RFC 8707 resource whose
 * access tokens are JWTs (ES256, `aud` = the resource), refresh tokens rotated on every use. No ID
 * token (no `openid` scope): both sides sign one JWT per grant. Sign-in and consent are automatic (the
 * first flow of a browser signs in as `alice` and grants the requested scopes; later flows reuse the
 * session and the grant). State lives in process memory or in Redis, through adapters written below
 * after the adapter API of oidc-provider's documentation.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import Provider, { errors, type Adapter, type AdapterPayload, type Configuration } from 'oidc-provider';

export interface OidcPeerOptions {
  port: number;
  resource: string;
  scopes: readonly string[];
  clientId: string;
  redirectUri: string;
  redisUrl?: string;
}

/** Models oidc-provider consumes (codes, refresh tokens) are hashes so `consume` marks a field. */
const CONSUMABLE = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

/** oidc-provider's adapter API over ioredis: one key per model instance, a list per grant for revocation. */
function redisAdapter(client: Redis): new (name: string) => Adapter {
  return class RedisAdapter implements Adapter {
    constructor(private readonly name: string) {}

    private key(id: string): string {
      return `${this.name}:${id}`;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const key = this.key(id);
      const multi = client.multi();
      if (CONSUMABLE.has(this.name)) multi.hset(key, { payload: JSON.stringify(payload) });
      else multi.set(key, JSON.stringify(payload));
      if (expiresIn) multi.expire(key, expiresIn);
      if (GRANTABLE.has(this.name) && payload.grantId) {
        const grantKey = `grant:${payload.grantId}`;
        multi.rpush(grantKey, key);
        // The list lives as long as its longest-lived token: set when it has no expiry, else only extended.
        if (expiresIn) multi.expire(grantKey, expiresIn, 'NX').expire(grantKey, expiresIn, 'GT');
      }
      if (payload.uid) {
        multi.set(`uid:${payload.uid}`, id);
        if (expiresIn) multi.expire(`uid:${payload.uid}`, expiresIn);
      }
      if (payload.userCode) {
        multi.set(`userCode:${payload.userCode}`, id);
        if (expiresIn) multi.expire(`userCode:${payload.userCode}`, expiresIn);
      }
      await multi.exec();
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (CONSUMABLE.has(this.name)) {
        const data = await client.hgetall(this.key(id));
        if (!data.payload) return undefined;
        const { payload, consumed } = data;
        return { ...(JSON.parse(payload) as AdapterPayload), ...(consumed ? { consumed: Number(consumed) } : {}) };
      }
      const data = await client.get(this.key(id));
      return data ? (JSON.parse(data) as AdapterPayload) : undefined;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const id = await client.get(`uid:${uid}`);
      return id ? this.find(id) : undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const id = await client.get(`userCode:${userCode}`);
      return id ? this.find(id) : undefined;
    }

    async destroy(id: string): Promise<void> {
      await client.del(this.key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      const keys = await client.lrange(`grant:${grantId}`, 0, -1);
      await client.del(...keys, `grant:${grantId}`);
    }

    async consume(id: string): Promise<void> {
      await client.hset(this.key(id), 'consumed', Math.floor(Date.now() / 1000));
    }
  };
}

/**
 * The same API in process memory, without eviction: oidc-provider's own memory adapter is an LRU of
 * 1,000 entries (development only), which drops refresh tokens under this benchmark's load.
 */
function memoryAdapter(): new (name: string) => Adapter {
  const entries = new Map<string, { value: AdapterPayload | string | string[]; until: number }>();
  const read = <T>(key: string): T | undefined => {
    const e = entries.get(key);
    if (!e) return undefined;
    if (e.until <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return e.value as T;
  };
  const write = (key: string, value: AdapterPayload | string | string[], expiresIn?: number) =>
    entries.set(key, { value, until: expiresIn ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY });
  return class MemoryAdapter implements Adapter {
    constructor(private readonly name: string) {}

    private key(id: string): string {
      return `${this.name}:${id}`;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      write(this.key(id), structuredClone(payload), expiresIn);
      if (GRANTABLE.has(this.name) && payload.grantId) {
        const grantKey = `grant:${payload.grantId}`;
        write(grantKey, [...(read<string[]>(grantKey) ?? []), this.key(id)], expiresIn);
      }
      if (payload.uid) write(`uid:${payload.uid}`, id, expiresIn);
      if (payload.userCode) write(`userCode:${payload.userCode}`, id, expiresIn);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      const value = read<AdapterPayload>(this.key(id));
      return value && structuredClone(value);
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const id = read<string>(`uid:${uid}`);
      return id ? this.find(id) : undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const id = read<string>(`userCode:${userCode}`);
      return id ? this.find(id) : undefined;
    }

    async destroy(id: string): Promise<void> {
      entries.delete(this.key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      for (const key of read<string[]>(`grant:${grantId}`) ?? []) entries.delete(key);
      entries.delete(`grant:${grantId}`);
    }

    async consume(id: string): Promise<void> {
      const value = read<AdapterPayload>(this.key(id));
      if (value) value.consumed = Math.floor(Date.now() / 1000);
    }
  };
}

function configuration(o: OidcPeerOptions, adapter: new (name: string) => Adapter): Configuration {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return {
    adapter,
    jwks: { keys: [{ ...ec, kid: 'peer-es256', alg: 'ES256', use: 'sig' }] as never },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    clients: [
      {
        client_id: o.clientId,
        token_endpoint_auth_method: 'none',
        // Only an ES256 key is configured (no ID token is issued here anyway).
        id_token_signed_response_alg: 'ES256',
        redirect_uris: [o.redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
    scopes: [...o.scopes],
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => o.resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (indicator !== o.resource) throw new errors.InvalidTarget();
          return { scope: o.scopes.join(' '), audience: o.resource, accessTokenTTL: 3600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } };
        },
      },
    },
    pkce: { required: () => true },
    ttl: { AccessToken: 3600, AuthorizationCode: 60, Grant: 86_400, Interaction: 600, RefreshToken: 2_592_000, Session: 86_400 },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  };
}

/** Automatic sign-in (as `alice`) and consent to exactly what was asked. */
async function interact(provider: Provider, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const interaction = await provider.interactionDetails(req, res);
  if (interaction.prompt.name === 'login') {
    await provider.interactionFinished(req, res, { login: { accountId: 'alice' } }, { mergeWithLastSubmission: false });
    return;
  }
  const { details } = interaction.prompt as { details: Record<string, unknown> };
  const grant = interaction.grantId
    ? (await provider.Grant.find(interaction.grantId))!
    : new provider.Grant({ accountId: interaction.session!.accountId, clientId: interaction.params.client_id as string });
  if (Array.isArray(details.missingOIDCScope)) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  for (const [indicator, scopes] of Object.entries((details.missingResourceScopes ?? {}) as Record<string, string[]>)) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
}

export async function startOidcPeer(o: OidcPeerOptions): Promise<{ port: number; close: () => Promise<void> }> {
  const redis = o.redisUrl ? new Redis(o.redisUrl, { keyPrefix: `peer-${Date.now()}:` }) : undefined;
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(o.port, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const provider = new Provider(`http://localhost:${port}`, configuration(o, redis ? redisAdapter(redis) : memoryAdapter()));
  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      interact(provider, req, res).catch(() => {
        res.statusCode = 400;
        res.end();
      });
      return;
    }
    void callback(req, res);
  });
  return {
    port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await redis?.quit();
    },
  };
}
