import { Logger } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { TemporarilyUnavailableError } from '../errors/oauth.errors.js';
import type { OAuthMcpStore } from './oauth-mcp-store.interface.js';

/** The store could not be reached: every OAuth endpoint answers 503 and nothing is let in. @publicApi */
export class StoreUnavailableError extends TemporarilyUnavailableError {
  constructor() {
    super('The authorization state store is unreachable; retry shortly');
  }
}

/** Compare-and-set on the JSON `version` field, in one atomic step. */
const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local ok, doc = pcall(cjson.decode, current)
if not ok or doc.version ~= tonumber(ARGV[1]) then return 0 end
if ARGV[3] ~= '' then redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) else redis.call('SET', KEYS[1], ARGV[2]) end
return 1`;

/** Counter with a window started by the first hit. */
const INCREMENT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) ttl = tonumber(ARGV[1]) end
return {count, ttl}`;

export interface RedisStoreOptions {
  /** `redis://` or `rediss://` (TLS) URL. */
  url: string;
  /** Prefix of every key. @default 'oauth-mcp:' */
  keyPrefix?: string;
  /** Each command fails after this long instead of queueing while Redis is down. @default 2000 */
  commandTimeoutMs?: number;
}

/**
 * Redis store on ioredis, shared by every replica: `GETDEL` for single use, Lua scripts for
 * compare-and-set and counters, `SET NX`, and a TTL on every flow key. Commands fail fast while Redis
 * is down (no offline queue), as `StoreUnavailableError` (503); the client reconnects by itself.
 * @publicApi
 */
export class RedisStore implements OAuthMcpStore {
  readonly client: Redis;
  private readonly logger = new Logger('OAuthMcp:Redis');
  private lastErrorLog = 0;

  constructor(options: RedisStoreOptions) {
    const redisOptions: RedisOptions = {
      keyPrefix: options.keyPrefix ?? 'oauth-mcp:',
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: options.commandTimeoutMs ?? 2000,
      commandTimeout: options.commandTimeoutMs ?? 2000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      // Commands issued in the same tick (several requests, or a grant's independent writes) leave in one write.
      enableAutoPipelining: true,
    };
    this.client = new Redis(options.url, redisOptions);
    // EVALSHA, loading the script once (EVAL would send and hash the script text on every call).
    this.client.defineCommand('oauthMcpCompareAndSet', { numberOfKeys: 1, lua: COMPARE_AND_SET });
    this.client.defineCommand('oauthMcpIncrement', { numberOfKeys: 1, lua: INCREMENT });
    this.client.on('error', (err: Error) => {
      // Logged at most every 10 s, and never with the URL (it may carry a password).
      if (Date.now() - this.lastErrorLog > 10_000) {
        this.lastErrorLog = Date.now();
        this.logger.warn(`Redis unavailable (${(err as { code?: string }).code ?? err.name}); retrying`);
      }
    });
  }

  /** The scripts defined on the client (ioredis adds them as methods). */
  private get scripts(): Record<'oauthMcpCompareAndSet' | 'oauthMcpIncrement', (...args: string[]) => Promise<unknown>> {
    return this.client as unknown as Record<'oauthMcpCompareAndSet' | 'oauthMcpIncrement', (...args: string[]) => Promise<unknown>>;
  }

  /** Connects, and fails clearly when Redis cannot be reached at startup. */
  async connect(): Promise<this> {
    try {
      await this.client.connect();
    } catch {
      throw new Error('REDIS_URL is unreachable: the OAuth state store must be available at startup');
    }
    return this;
  }

  async close(): Promise<void> {
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  get<T>(key: string): Promise<T | undefined> {
    return this.run(async () => parse<T>(await this.client.get(key)));
  }

  getMany<T>(keys: readonly string[]): Promise<(T | undefined)[]> {
    return this.run(async () => (keys.length === 0 ? [] : (await this.client.mget(...keys)).map((v) => parse<T>(v))));
  }

  set<T>(key: string, value: T, ttlSeconds?: number): Promise<void> {
    return this.run(async () => {
      if (ttlSeconds === undefined) await this.client.set(key, JSON.stringify(value));
      else await this.client.set(key, JSON.stringify(value), 'EX', Math.max(1, Math.ceil(ttlSeconds)));
    });
  }

  setIfAbsent<T>(key: string, value: T, ttlSeconds?: number): Promise<boolean> {
    return this.run(async () => {
      const json = JSON.stringify(value);
      const result =
        ttlSeconds === undefined ? await this.client.set(key, json, 'NX') : await this.client.set(key, json, 'EX', Math.max(1, Math.ceil(ttlSeconds)), 'NX');
      return result === 'OK';
    });
  }

  take<T>(key: string): Promise<T | undefined> {
    return this.run(async () => parse<T>(await this.client.getdel(key)));
  }

  compareAndSet<T extends { version: number }>(key: string, expectedVersion: number, value: T, ttlSeconds?: number): Promise<boolean> {
    return this.run(async () => {
      const ttl = ttlSeconds === undefined ? '' : String(Math.max(1, Math.ceil(ttlSeconds)));
      return (await this.scripts.oauthMcpCompareAndSet(key, String(expectedVersion), JSON.stringify(value), ttl)) === 1;
    });
  }

  increment(key: string, ttlSeconds: number): Promise<{ count: number; ttlSeconds: number }> {
    return this.run(async () => {
      const [count, ttl] = (await this.scripts.oauthMcpIncrement(key, String(Math.max(1, Math.ceil(ttlSeconds))))) as [number, number];
      return { count, ttlSeconds: ttl };
    });
  }

  delete(key: string): Promise<void> {
    return this.run(async () => {
      await this.client.del(key);
    });
  }

  ping(): Promise<void> {
    return this.run(async () => {
      await this.client.ping();
    });
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch {
      throw new StoreUnavailableError();
    }
  }
}

function parse<T>(value: string | null): T | undefined {
  return value === null ? undefined : (JSON.parse(value) as T);
}
