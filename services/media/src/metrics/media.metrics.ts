import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from '@switchboard/platform';

/** Calls and chunk distribution, counted by the replica that did the work (sum across replicas). */
@Injectable()
export class MediaMetrics {
  readonly callsStarted: Counter<'mode'>;
  readonly callsEnded: Counter<'outcome' | 'reason'>;
  readonly callsRefused: Counter<'reason'>;
  readonly ringSeconds: Histogram<'result'>;
  readonly callLogFailures: Counter<'op'>;
  readonly chunkRequests: Counter<'status'>;
  readonly chunkPulls: Counter<'result'>;
  readonly chunkPushes: Counter<'result'>;
  readonly chunkBytesDelivered: Counter;
  private cacheStats: () => { entries: number; bytes: number } = () => ({ entries: 0, bytes: 0 });

  constructor(registry: Registry) {
    const registers = [registry];
    this.callsStarted = new Counter({ name: 'switchboard_calls_started_total', help: 'Calls started, by mode (p2p, sfu)', labelNames: ['mode'], registers });
    this.callsEnded = new Counter({
      name: 'switchboard_calls_ended_total',
      help: 'Calls ended, by outcome (completed, missed, declined, cancelled, busy) and call.ended reason',
      labelNames: ['outcome', 'reason'],
      registers,
    });
    this.callsRefused = new Counter({ name: 'switchboard_calls_refused_total', help: 'call.start refused before ringing, by reason (busy, in_progress, no_callee)', labelNames: ['reason'], registers });
    this.ringSeconds = new Histogram({
      name: 'switchboard_call_ring_seconds',
      help: 'How long calls rang, by how the ringing stopped (answered, declined, timeout, cancelled)',
      labelNames: ['result'],
      buckets: [0.5, 1, 2, 3, 5, 8, 12, 20, 30, 45, 60],
      registers,
    });
    this.callLogFailures = new Counter({ name: 'switchboard_call_log_failures_total', help: 'Call log writes to Postgres that failed after retries, by operation', labelNames: ['op'], registers });
    this.chunkRequests = new Counter({ name: 'switchboard_chunk_requests_total', help: 'chunk.request answers by status (cached, requested, pending) or error code', labelNames: ['status'], registers });
    this.chunkPulls = new Counter({ name: 'switchboard_chunk_pulls_total', help: 'chunk.pull sent to a source, by result (sent, retried, exhausted)', labelNames: ['result'], registers });
    this.chunkPushes = new Counter({ name: 'switchboard_chunk_pushes_total', help: 'chunk.push by result (delivered, refused, too_large)', labelNames: ['result'], registers });
    this.chunkBytesDelivered = new Counter({ name: 'switchboard_chunk_bytes_delivered_total', help: 'Decoded chunk bytes sent to waiters as chunk.data', registers });
    const cache = () => this.cacheStats();
    new Gauge({
      name: 'switchboard_chunk_cache_entries',
      help: 'Chunks in this replica’s LRU cache',
      registers,
      collect() {
        this.set(cache().entries);
      },
    });
    new Gauge({
      name: 'switchboard_chunk_cache_bytes',
      help: 'Bytes in this replica’s LRU chunk cache',
      registers,
      collect() {
        this.set(cache().bytes);
      },
    });
  }

  chunkCache(stats: () => { entries: number; bytes: number }): void {
    this.cacheStats = stats;
  }
}
