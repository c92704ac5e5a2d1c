import { LRUCache } from 'lru-cache';
/**
 * Single-process store (the default). Everything is lost on restart and nothing is shared between
 * replicas: use a shared store (Redis) for more than one instance. Bounded (LRU) so abandoned flows and
 * client floods cannot grow it without limit; every entry with a TTL dies on time. Values are kept
 * serialised so callers never share mutable objects with the store.
 */
export class MemoryStore {
    slots;
    constructor(maxEntries = 100_000) {
        this.slots = new LRUCache({ max: maxEntries });
    }
    async get(key) {
        return this.read(key);
    }
    async getMany(keys) {
        return keys.map((k) => this.read(k));
    }
    async set(key, value, ttlSeconds) {
        this.write(key, value, ttlSeconds);
    }
    async setIfAbsent(key, value, ttlSeconds) {
        if (this.read(key) !== undefined)
            return false;
        this.write(key, value, ttlSeconds);
        return true;
    }
    async take(key) {
        const value = this.read(key);
        this.slots.delete(key);
        return value;
    }
    async compareAndSet(key, expectedVersion, value, ttlSeconds) {
        const current = this.read(key);
        if (current?.version !== expectedVersion)
            return false;
        this.write(key, value, ttlSeconds);
        return true;
    }
    async delete(key) {
        this.slots.delete(key);
    }
    async ping() { }
    read(key) {
        const slot = this.slots.get(key);
        if (!slot)
            return undefined;
        if (slot.until <= Date.now()) {
            this.slots.delete(key);
            return undefined;
        }
        return JSON.parse(slot.json);
    }
    write(key, value, ttlSeconds) {
        this.slots.set(key, { json: JSON.stringify(value), until: ttlSeconds === undefined ? Number.POSITIVE_INFINITY : Date.now() + ttlSeconds * 1000 });
    }
}
