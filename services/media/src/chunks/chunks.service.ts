import { Inject, Injectable } from '@nestjs/common';
import { Every, CONFIG, RoomEventsPublisher, type Caller } from '@switchboard/platform';
import { forbidden, notFound, rateLimited, tooLarge, type CommandData, type ConnGone } from '@switchboard/protocol';
import type { MediaConfig } from '../config.js';
import { MediaMetrics } from '../metrics/media.metrics.js';
import { ChunkCacheStore } from './chunk-cache.store.js';
import { ChunksStore, type ChunkLimits } from './chunks.store.js';

export type RequestStatus = 'cached' | 'requested' | 'pending';

/**
 * Content-addressed chunk distribution between clients: connections announce what they hold,
 * a request pulls the chunk from ONE source however many connections wait (coordinated in
 * Redis across replicas), the push is multicast to every waiter and kept in this replica's LRU.
 */
@Injectable()
export class ChunksService {
  constructor(
    private readonly store: ChunksStore,
    private readonly cache: ChunkCacheStore,
    private readonly events: RoomEventsPublisher,
    private readonly metrics: MediaMetrics,
    @Inject(CONFIG) private readonly config: MediaConfig,
  ) {}

  private get limits(): ChunkLimits {
    const c = this.config;
    // A waiter waits through every attempt, plus one sweep to notice the last timeout.
    return { maxWaiters: c.CHUNK_MAX_WAITERS, maxPending: c.CHUNK_MAX_PENDING, maxAttempts: c.CHUNK_PULL_ATTEMPTS, waitMs: c.CHUNK_PULL_TIMEOUT_MS * c.CHUNK_PULL_ATTEMPTS + 2 * c.SWEEP_INTERVAL_MS };
  }

  async announce(caller: Caller, { chunkIds }: CommandData<'chunk.announce'>): Promise<{ announced: number }> {
    const ids = [...new Set(chunkIds)];
    const r = await this.store.announce(caller.connectionId, ids, this.config.CHUNK_SOURCE_TTL_MS, this.config.CHUNK_MAX_ANNOUNCED);
    if (!r.ok) throw tooLarge(`a connection announces at most ${this.config.CHUNK_MAX_ANNOUNCED} chunks (${r.count} so far)`);
    return { announced: r.count };
  }

  async request(caller: Caller, { chunkId }: CommandData<'chunk.request'>): Promise<{ status: RequestStatus }> {
    const cached = this.cache.get(chunkId);
    if (cached) {
      this.deliver([caller.connectionId], chunkId, cached.toString('base64'), cached.length);
      return this.answer('cached');
    }
    const r = await this.store.request(chunkId, caller.connectionId, this.limits);
    switch (r.status) {
      case 'requested':
        await this.pull(chunkId, r.source);
        return this.answer('requested');
      case 'pending':
        return this.answer('pending');
      case 'no_source':
        this.metrics.chunkRequests.inc({ status: 'not_found' });
        throw notFound('no connection serves this chunk');
      case 'too_many_waiters':
        this.metrics.chunkRequests.inc({ status: 'rate_limited' });
        throw rateLimited(`at most ${this.config.CHUNK_MAX_WAITERS} connections may wait for one chunk`, this.config.CHUNK_PULL_TIMEOUT_MS);
      case 'too_many_pending':
        this.metrics.chunkRequests.inc({ status: 'rate_limited' });
        throw rateLimited(`a connection waits for at most ${this.config.CHUNK_MAX_PENDING} chunks at a time`, this.config.CHUNK_PULL_TIMEOUT_MS);
    }
  }

  async push(caller: Caller, { chunkId, data }: CommandData<'chunk.push'>): Promise<{ delivered: number }> {
    const bytes = Buffer.from(data, 'base64');
    if (bytes.length > this.config.CHUNK_MAX_BYTES) {
      this.metrics.chunkPushes.inc({ result: 'too_large' });
      throw tooLarge(`a chunk is at most ${this.config.CHUNK_MAX_BYTES} bytes (this one is ${bytes.length})`);
    }
    const waiters = await this.store.push(chunkId, caller.connectionId);
    if (!waiters) {
      this.metrics.chunkPushes.inc({ result: 'refused' });
      throw forbidden('nobody asked this connection for that chunk (answer chunk.pull only)');
    }
    await this.store.pullDeadlines.cancel(chunkId);
    this.cache.set(chunkId, bytes);
    // Re-encoded, so every waiter gets canonical base64 whatever padding the source sent.
    this.deliver(waiters, chunkId, bytes.toString('base64'), bytes.length);
    this.metrics.chunkPushes.inc({ result: 'delivered' });
    return { delivered: waiters.length };
  }

  /** A vanished connection is no source or waiter any more; pulls it was answering go to another source now. */
  async connectionGone(gone: ConnGone): Promise<void> {
    const orphaned = await this.store.drop(gone.connectionId);
    await Promise.all(orphaned.map((chunkId) => this.store.pullDeadlines.schedule(chunkId, Date.now())));
  }

  /** Pulls that timed out: the next source is asked, or the waiters learn the chunk is unavailable. */
  @Every('chunk-pulls')
  private async retryDuePulls(): Promise<void> {
    await this.store.pullDeadlines.sweep(async (chunkId) => {
      const r = await this.store.retry(chunkId, this.limits);
      if (r.status === 'retry') {
        this.metrics.chunkPulls.inc({ result: 'retried' });
        await this.pull(chunkId, r.source);
      } else if (r.status === 'exhausted') {
        this.metrics.chunkPulls.inc({ result: 'exhausted' });
        for (const connectionId of r.waiters) this.events.toConnection(connectionId, 'chunk.unavailable', { chunkId });
      }
    });
  }

  private async pull(chunkId: string, source: string): Promise<void> {
    await this.store.pullDeadlines.schedule(chunkId, Date.now() + this.config.CHUNK_PULL_TIMEOUT_MS);
    this.events.toConnection(source, 'chunk.pull', { chunkId });
    this.metrics.chunkPulls.inc({ result: 'sent' });
  }

  private deliver(connectionIds: string[], chunkId: string, data: string, size: number): void {
    for (const connectionId of connectionIds) this.events.toConnection(connectionId, 'chunk.data', { chunkId, data });
    this.metrics.chunkBytesDelivered.inc(size * connectionIds.length);
  }

  private answer(status: RequestStatus): { status: RequestStatus } {
    this.metrics.chunkRequests.inc({ status });
    return { status };
  }
}
