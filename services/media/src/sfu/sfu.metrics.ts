import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry } from '@switchboard/platform';

/** LiveKit as the media service sees it: API calls and webhooks (per replica; sum across replicas). */
@Injectable()
export class SfuMetrics {
  readonly apiSeconds: Histogram<'method' | 'result'>;
  readonly apiErrors: Counter<'method' | 'code'>;
  readonly webhooks: Counter<'event' | 'result'>;
  readonly webhookLagSeconds: Histogram<'event'>;
  readonly enforcements: Counter<'action' | 'result'>;
  readonly reconciled: Counter<'action'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.apiSeconds = new Histogram({
      name: 'switchboard_livekit_api_seconds',
      help: 'LiveKit RoomService call latency, by method and result (ok, or the error code)',
      labelNames: ['method', 'result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.apiErrors = new Counter({ name: 'switchboard_livekit_api_errors_total', help: 'LiveKit RoomService calls that failed, by method and Twirp code (or timeout, network)', labelNames: ['method', 'code'], registers });
    this.webhooks = new Counter({
      name: 'switchboard_livekit_webhooks_total',
      help: 'LiveKit webhooks received, by event and result (published, duplicate, ignored, rejected, failed)',
      labelNames: ['event', 'result'],
      registers,
    });
    this.webhookLagSeconds = new Histogram({
      name: 'switchboard_livekit_webhook_lag_seconds',
      help: 'From the event in LiveKit (createdAt) to its handling here, by event',
      labelNames: ['event'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    });
    this.enforcements = new Counter({
      name: 'switchboard_sfu_enforcements_total',
      help: 'Room access changes applied in LiveKit, by action (mute, unmute, remove, delete_room, stale_join) and result',
      labelNames: ['action', 'result'],
      registers,
    });
    this.reconciled = new Counter({ name: 'switchboard_sfu_reconciled_total', help: 'Reconcile corrections: ghosts dropped, missed joins added, stale participants removed', labelNames: ['action'], registers });
  }
}
