/**
 * Where the module keeps all its state: registered clients, consents, pending upstream authorizations,
 * authorization codes, refresh-token families, revocations, encrypted upstream tokens and signing keys.
 * A small key-value contract whose atomic steps every implementation must make atomic:
 * `take` (get-and-delete: single-use codes and states), `compareAndSet` (refresh rotation),
 * `setIfAbsent` (first writer wins) and `increment` (rate-limit counters).
 * Keys are namespaced by the module (`client:…`, `code:…`); secrets are stored under their SHA-256.
 * Values are JSON-serialisable. A TTL is given for everything that must not outlive it.
 * @publicApi
 */
export interface OAuthMcpStore {
  get<T>(key: string): Promise<T | undefined>;
  /** Several keys in one round trip; `undefined` where absent. */
  getMany<T>(keys: readonly string[]): Promise<(T | undefined)[]>;
  set<T>(key: string, value: T, ttlSeconds?: number): Promise<void>;
  /** Stores only when the key is absent; true when stored. */
  setIfAbsent<T>(key: string, value: T, ttlSeconds?: number): Promise<boolean>;
  /** Atomically returns and deletes the value: at most one caller ever gets it. */
  take<T>(key: string): Promise<T | undefined>;
  /**
   * Atomically replaces the value when its current `version` field equals `expectedVersion`;
   * false when it changed (or is gone) in between.
   */
  compareAndSet<T extends { version: number }>(key: string, expectedVersion: number, value: T, ttlSeconds?: number): Promise<boolean>;
  /**
   * Atomically adds 1 to a counter, starting a window of `ttlSeconds` at the first hit (rate limits);
   * returns the new count and the seconds left in the window.
   */
  increment(key: string, ttlSeconds: number): Promise<{ count: number; ttlSeconds: number }>;
  delete(key: string): Promise<void>;
  /** Health probe: rejects when the store cannot be reached. */
  ping(): Promise<void>;
  /** Releases connections; called at shutdown for a store the module created itself. */
  close?(): Promise<void>;
}
