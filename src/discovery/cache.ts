// Discovery answers kept in memory per domain, each for as long as it says (DNS TTLs, capped),
// the least recently used dropped first when full.

export interface TtlCache<T> {
  get(key: string): T | undefined;
  set(key: string, value: T, ttlSeconds: number): void;
  readonly size: number;
}

export function createTtlCache<T>(maxEntries: number, now: () => number): TtlCache<T> {
  const entries = new Map<string, { value: T; expires: number }>();
  return {
    get size() {
      return entries.size;
    },
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      entries.delete(key);
      if (entry.expires <= now()) return undefined;
      // Re-inserted: a Map keeps insertion order, so the first key is the least recently used.
      entries.set(key, entry);
      return entry.value;
    },
    set(key, value, ttlSeconds) {
      if (maxEntries === 0 || ttlSeconds <= 0) return;
      entries.delete(key);
      entries.set(key, { value, expires: now() + ttlSeconds * 1000 });
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
  };
}
