import { LRUCache } from 'lru-cache';
import type { OAuthMcpStore } from './oauth-mcp-store.interface.js';
import { FLOW_KEY_PREFIXES } from './store-keys.js';

interface Slot {
  json: string;
  until: number;
}

/**
 * Single-process store (the default). Everything is lost on restart and nothing is shared between
 * replicas: use a shared store (Redis) for more than one instance. Flow entries (pending consents and
 * sign-ins, codes, rate counters) live in a bounded LRU, so floods of abandoned flows cannot grow it;
 * security state (clients, grants, revocations, keys) is never evicted, only expired, so no flood can
 * push out a revocation. Values are kept serialised so callers never share mutable objects with the store.
 */
export class MemoryStore implements OAuthMcpStore {
  private readonly flows: LRUCache<string, Slot>;
  private readonly durable = new Map<string, Slot>();
  private readonly purger: NodeJS.Timeout;

  constructor(maxFlowEntries = 100_000) {
    this.flows = new LRUCache({ max: maxFlowEntries });
    this.purger = setInterval(() => this.purgeExpired(), 60_000);
    this.purger.unref();
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
    this.remove(key);
    return value;
  }

  async compareAndSet<T extends { version: number }>(key: string, expectedVersion: number, value: T, ttlSeconds?: number): Promise<boolean> {
    const current = this.read<{ version: number }>(key);
    if (current?.version !== expectedVersion) return false;
    this.write(key, value, ttlSeconds);
    return true;
  }

  async increment(key: string, ttlSeconds: number): Promise<{ count: number; ttlSeconds: number }> {
    const slot = this.slot(key);
    const now = Date.now();
    if (!slot || slot.until <= now) {
      this.write(key, 1, ttlSeconds);
      return { count: 1, ttlSeconds };
    }
    const count = (JSON.parse(slot.json) as number) + 1;
    this.place(key, { json: JSON.stringify(count), until: slot.until });
    return { count, ttlSeconds: Math.ceil((slot.until - now) / 1000) };
  }

  async delete(key: string): Promise<void> {
    this.remove(key);
  }

  async ping(): Promise<void> {}

  /** Keys currently held (expired ones included until purged); for tests and diagnostics. */
  keys(): string[] {
    return [...this.flows.keys(), ...this.durable.keys()];
  }

  private isFlow(key: string): boolean {
    return FLOW_KEY_PREFIXES.some((p) => key.startsWith(p));
  }

  private slot(key: string): Slot | undefined {
    return this.isFlow(key) ? this.flows.get(key) : this.durable.get(key);
  }

  private place(key: string, slot: Slot): void {
    if (this.isFlow(key)) this.flows.set(key, slot);
    else this.durable.set(key, slot);
  }

  private remove(key: string): void {
    if (this.isFlow(key)) this.flows.delete(key);
    else this.durable.delete(key);
  }

  private read<T>(key: string): T | undefined {
    const slot = this.slot(key);
    if (!slot) return undefined;
    if (slot.until <= Date.now()) {
      this.remove(key);
      return undefined;
    }
    return JSON.parse(slot.json) as T;
  }

  private write(key: string, value: unknown, ttlSeconds?: number): void {
    this.place(key, { json: JSON.stringify(value), until: ttlSeconds === undefined ? Number.POSITIVE_INFINITY : Date.now() + ttlSeconds * 1000 });
  }

  private purgeExpired(): void {
    const now = Date.now();
    for (const [key, slot] of this.durable) if (slot.until <= now) this.durable.delete(key);
  }
}
