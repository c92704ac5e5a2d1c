import { LRUCache } from 'lru-cache';
import type { OAuthMcpStore } from './oauth-mcp-store.interface.js';

interface Slot {
  json: string;
  until: number;
}

/**
 * Single-process store (the default). Everything is lost on restart and nothing is shared between
 * replicas: use a shared store (Redis) for more than one instance. Bounded (LRU) so abandoned flows and
 * client floods cannot grow it without limit; every entry with a TTL dies on time. Values are kept
 * serialised so callers never share mutable objects with the store.
 */
export class MemoryStore implements OAuthMcpStore {
  private readonly slots: LRUCache<string, Slot>;

  constructor(maxEntries = 100_000) {
    this.slots = new LRUCache({ max: maxEntries });
  }

  async get<T>(key: string): Promise<T | undefined> {
    return this.read<T>(key);
  }

  async getMany<T>(keys: readonly string[]): Promise<(T | undefined)[]> {
    return keys.map((k) => this.read<T>(k));
  }

  async set<T>(key: string, value: T, ttlSeconds?: number): Promise<void> {
    this.write(key, value, ttlSeconds);
  }

  async setIfAbsent<T>(key: string, value: T, ttlSeconds?: number): Promise<boolean> {
    if (this.read(key) !== undefined) return false;
    this.write(key, value, ttlSeconds);
    return true;
  }

  async take<T>(key: string): Promise<T | undefined> {
    const value = this.read<T>(key);
    this.slots.delete(key);
    return value;
  }

  async compareAndSet<T extends { version: number }>(key: string, expectedVersion: number, value: T, ttlSeconds?: number): Promise<boolean> {
    const current = this.read<{ version: number }>(key);
    if (current?.version !== expectedVersion) return false;
    this.write(key, value, ttlSeconds);
    return true;
  }

  async increment(key: string, ttlSeconds: number): Promise<{ count: number; ttlSeconds: number }> {
    const slot = this.slots.get(key);
    const now = Date.now();
    if (!slot || slot.until <= now) {
      this.write(key, 1, ttlSeconds);
      return { count: 1, ttlSeconds };
    }
    const count = (JSON.parse(slot.json) as number) + 1;
    this.slots.set(key, { json: JSON.stringify(count), until: slot.until });
    return { count, ttlSeconds: Math.ceil((slot.until - now) / 1000) };
  }

  async delete(key: string): Promise<void> {
    this.slots.delete(key);
  }

  async ping(): Promise<void> {}

  /** Keys currently held (expired ones included until touched); for tests and diagnostics. */
  keys(): string[] {
    return [...this.slots.keys()];
  }

  private read<T>(key: string): T | undefined {
    const slot = this.slots.get(key);
    if (!slot) return undefined;
    if (slot.until <= Date.now()) {
      this.slots.delete(key);
      return undefined;
    }
    return JSON.parse(slot.json) as T;
  }

  private write(key: string, value: unknown, ttlSeconds?: number): void {
    this.slots.set(key, { json: JSON.stringify(value), until: ttlSeconds === undefined ? Number.POSITIVE_INFINITY : Date.now() + ttlSeconds * 1000 });
  }
}
