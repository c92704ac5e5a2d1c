import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { OAuthMcpConfigService } from '../../config/oauth-mcp-config.service.js';
import type { ConfiguredSigningKey } from '../../config/signing-key-rules.js';
import { OAUTH_MCP_STORE } from '../../oauth-mcp.internal-constants.js';
import { randomToken } from '../crypto/random.js';
import { SecretBox } from '../crypto/secret-box.js';
import type { OAuthMcpStore } from '../../store/oauth-mcp-store.interface.js';
import { StoreKeys } from '../../store/store-keys.js';

/** One of this server's token-signing keys. */
export interface SigningKey {
  kid: string;
  alg: 'ES256' | 'RS256';
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Public JWK as published at `/.well-known/jwks.json`. */
  publicJwk: JWK & { kid: string; alg: string; use: 'sig' };
  publicPem: string;
}

const STORE_KEY = StoreKeys.signingKeys();

/**
 * This server's signing keys (proxy mode): from `OAUTH_SIGNING_JWKS`, else generated once and kept in
 * the store sealed with a key derived from `JWT_SECRET` (so every replica sharing the store signs and
 * verifies with the same keys). Only public members are ever published.
 */
@Injectable()
export class SigningKeyService implements OnModuleInit {
  private keys: SigningKey[] = [];

  constructor(
    private readonly configService: OAuthMcpConfigService,
    @Inject(OAUTH_MCP_STORE) private readonly store: OAuthMcpStore,
  ) {}

  async onModuleInit(): Promise<void> {
    const c = this.configService.config;
    if (c.mode !== 'proxy') return;
    const configured = c.signingKeys.length > 0 ? c.signingKeys : await this.loadOrGenerate(c.signingAlgorithm, c.jwtSecret!);
    this.keys = configured.map(toSigningKey);
  }

  /** The key new tokens are signed with. */
  current(): SigningKey {
    return this.keys[0];
  }

  find(kid: string | undefined): SigningKey | undefined {
    return this.keys.find((k) => k.kid === kid);
  }

  publicJwks(): { keys: SigningKey['publicJwk'][] } {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }

  private async loadOrGenerate(alg: 'ES256' | 'RS256', secret: string): Promise<ConfiguredSigningKey[]> {
    const box = new SecretBox(secret, 'signing-keys');
    const fresh = [generate(alg)];
    // setIfAbsent: when replicas start together, exactly one generated key wins and all use it.
    await this.store.setIfAbsent(STORE_KEY, box.seal(fresh));
    const sealed = await this.store.get<string>(STORE_KEY);
    const keys = sealed ? box.open<ConfiguredSigningKey[]>(sealed) : undefined;
    if (!keys) throw new Error('the stored signing keys cannot be opened with this JWT_SECRET (was it changed?)');
    return keys;
  }
}

function generate(alg: 'ES256' | 'RS256'): ConfiguredSigningKey {
  const pair = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid: randomToken(12), alg, jwk: pair.privateKey.export({ format: 'jwk' }) };
}

function toSigningKey(key: ConfiguredSigningKey): SigningKey {
  const privateKey = createPrivateKey({ key: key.jwk, format: 'jwk' });
  const publicKey = createPublicKey(privateKey);
  const jwk = publicKey.export({ format: 'jwk' });
  return {
    kid: key.kid,
    alg: key.alg,
    privateKey,
    publicKey,
    publicJwk: { ...jwk, kid: key.kid, alg: key.alg, use: 'sig' },
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }) as string,
  };
}
