import { MemoryStore } from '../../src/store/memory.store.js';
import type { OAuthMcpStore } from '../../src/store/oauth-mcp-store.interface.js';
import { RedisStore } from '../../src/store/redis.store.js';
import { RedisServer } from '../support/redis-server.js';

/** One contract, every implementation: what the module relies on, atomic steps included. */
function storeContract(name: string, create: () => Promise<OAuthMcpStore>, close: (s: OAuthMcpStore) => Promise<void>) {
  describe(`OAuthMcpStore contract: ${name}`, () => {
    let store: OAuthMcpStore;
    let n = 0;
    const key = (k: string) => `${k}:${++n}:${Math.random()}`;
    beforeAll(async () => {
      store = await create();
    });
    afterAll(() => close(store));

    it('set/get round-trips JSON; absent keys are undefined; delete removes', async () => {
      const k = key('a');
      expect(await store.get(k)).toBeUndefined();
      await store.set(k, { x: 1, list: ['a'] });
      expect(await store.get(k)).toEqual({ x: 1, list: ['a'] });
      await store.delete(k);
      expect(await store.get(k)).toBeUndefined();
    });

    it('getMany answers in order with undefined for absent keys', async () => {
      const [a, b] = [key('m'), key('m')];
      await store.set(a, 1);
      expect(await store.getMany([a, b])).toEqual([1, undefined]);
      expect(await store.getMany([])).toEqual([]);
    });

    it('TTL: an entry disappears after its time', async () => {
      const k = key('ttl');
      await store.set(k, 'v', 1);
      expect(await store.get(k)).toBe('v');
      await new Promise((r) => setTimeout(r, 2100));
      expect(await store.get(k)).toBeUndefined();
    });

    it('take is get-and-delete: of 20 parallel takes exactly one gets the value (F67)', async () => {
      const k = key('code');
      await store.set(k, { code: 'c' }, 60);
      const results = await Promise.all(Array.from({ length: 20 }, () => store.take(k)));
      expect(results.filter((r) => r !== undefined)).toEqual([{ code: 'c' }]);
      expect(await store.get(k)).toBeUndefined();
    });

    it('setIfAbsent: the first writer wins and later ones do not overwrite (H88)', async () => {
      const k = key('nx');
      const wins = await Promise.all(Array.from({ length: 10 }, (_, i) => store.setIfAbsent(k, { i }, 60)));
      expect(wins.filter(Boolean)).toHaveLength(1);
      expect(await store.setIfAbsent(k, { i: 99 })).toBe(false);
      expect((await store.get<{ i: number }>(k))!.i).not.toBe(99);
    });

    it('compareAndSet: only the holder of the current version rotates (I99); concurrent rotations: one wins', async () => {
      const k = key('family');
      await store.set(k, { version: 1, rt: 'r1' }, 60);
      expect(await store.compareAndSet(k, 2, { version: 3, rt: 'x' }, 60)).toBe(false);
      const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => store.compareAndSet(k, 1, { version: 2, rt: `r2-${i}` }, 60)));
      expect(outcomes.filter(Boolean)).toHaveLength(1);
      expect((await store.get<{ version: number }>(k))!.version).toBe(2);
      expect(await store.compareAndSet(key('gone'), 1, { version: 2 }, 60)).toBe(false);
    });

    it('increment counts atomically within one window', async () => {
      const k = key('rate');
      const counts = await Promise.all(Array.from({ length: 25 }, () => store.increment(k, 60)));
      expect(counts.map((c) => c.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      expect(counts.every((c) => c.ttlSeconds > 0 && c.ttlSeconds <= 60)).toBe(true);
    });

    it('ping answers when the store is up', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}

storeContract(
  'MemoryStore',
  async () => new MemoryStore(),
  async () => undefined,
);

const redis = new RedisServer();
storeContract(
  'RedisStore (real redis-server)',
  async () => {
    await redis.start();
    return new RedisStore({ url: redis.url, keyPrefix: 'contract:' }).connect();
  },
  async (s) => {
    await (s as RedisStore).close();
    await redis.stop();
  },
);
