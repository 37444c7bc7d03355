import { LRUCache } from 'lru-cache';
import { RateLimiterRes } from 'rate-limiter-flexible';

/**
 * Fixed windows counted in this process's memory, with rate-limiter-flexible's
 * `consume` contract (resolves within the budget, rejects with a RateLimiterRes
 * past it), so that it stands in front of the Redis limiters with the same code.
 *
 * Instead of RateLimiterMemory, which keeps every key's window in a Map with a
 * timer of its own: in a sale each buyer and each address is a new key, and the
 * 50,000 live timers, records and closures were a fifth of the API's heap. Here
 * a window is a count and an end in an LRU cache with no timers, bounded to
 * `maxKeys`: past it the least recently seen key is forgotten early, which only
 * ever forgives a count; the shared limits in Redis still hold before reserving.
 */
export class LocalWindows {
  private readonly windows: LRUCache<string, { count: number; endsAt: number }>;

  constructor(
    private readonly points: number,
    private readonly durationS: number,
    maxKeys: number,
    readonly keyPrefix: string,
  ) {
    this.windows = new LRUCache({ max: maxKeys, ttlAutopurge: false });
  }

  consume(key: string): Promise<RateLimiterRes> {
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || window.endsAt <= now) {
      window = { count: 0, endsAt: now + this.durationS * 1000 };
      this.windows.set(key, window, { ttl: this.durationS * 1000 });
    }
    window.count += 1;
    const res = new RateLimiterRes(
      Math.max(this.points - window.count, 0),
      window.endsAt - now,
      window.count,
      window.count === 1,
    );
    return window.count > this.points ? Promise.reject(res) : Promise.resolve(res);
  }
}
