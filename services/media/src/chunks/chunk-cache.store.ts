import { Inject, Injectable } from '@nestjs/common';
import { CONFIG } from '@switchboard/platform';
import { LRUCache, type Perf } from 'lru-cache';
import type { MediaConfig } from '../config.js';
import { MediaMetrics } from '../metrics/media.metrics.js';

export interface ChunkCacheLimits {
  maxEntries: number;
  maxBytes: number;
  ttlMs: number;
}

/**
 * An LRU of chunk bytes bounded by entries AND bytes: the least recently read leave first when
 * either cap is reached, and every entry leaves `ttlMs` after its push whatever its popularity.
 * `clock` is for tests (lru-cache's Perf).
 */
export function createChunkCache(limits: ChunkCacheLimits, clock?: Perf): LRUCache<string, Buffer> {
  return new LRUCache<string, Buffer>({
    max: limits.maxEntries,
    maxSize: limits.maxBytes,
    // The key counts too, so a flood of tiny chunks cannot slip past the byte cap.
    sizeCalculation: (data, id) => data.length + id.length,
    ttl: limits.ttlMs,
    // A test clock is read on every check (lru-cache otherwise caches "now" for a tick).
    ...(clock ? { perf: clock, ttlResolution: 0 } : {}),
  });
}

/**
 * Chunks pushed through this replica, in memory. Per replica by design (docs/media.md): chunks
 * are immutable and named by their content, so copies on two replicas never disagree and a miss
 * costs one pull from a peer, never a wrong answer; bulk bytes stay out of Redis.
 */
@Injectable()
export class ChunkCacheStore {
  private readonly cache: LRUCache<string, Buffer>;

  constructor(@Inject(CONFIG) config: MediaConfig, metrics: MediaMetrics) {
    this.cache = createChunkCache({ maxEntries: config.CHUNK_CACHE_MAX_ENTRIES, maxBytes: config.CHUNK_CACHE_MAX_BYTES, ttlMs: config.CHUNK_CACHE_TTL_MS });
    metrics.chunkCache(() => this.stats());
  }

  get(chunkId: string): Buffer | undefined {
    return this.cache.get(chunkId);
  }

  set(chunkId: string, data: Buffer): void {
    this.cache.set(chunkId, data);
  }

  stats(): { entries: number; bytes: number } {
    return { entries: this.cache.size, bytes: this.cache.calculatedSize };
  }
}
