import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from '@switchboard/platform';

@Injectable()
export class GatewayMetrics {
  readonly connections: Gauge;
  readonly connects: Counter<'result'>;
  readonly disconnects: Counter<'reason'>;
  readonly messagesIn: Counter<'type'>;
  readonly messagesOut: Counter<'type'>;
  readonly errors: Counter<'code'>;
  readonly rateLimited: Counter;
  readonly eventDelivery: Histogram;
  readonly subscriptions: Gauge;
  readonly reorderGaps: Counter;
  readonly attestationChecks: Counter<'mode' | 'result'>;
  readonly resumes: Counter<'outcome'>;
  readonly resumeHistoryReads: Counter<'source'>;
  readonly signals: Counter<'mode'>;
  private connectionsSource: () => Iterable<{ ws: { bufferedAmount: number } }> = () => [];

  readonly lobbyWatchers: Gauge;
  constructor(registry: Registry) {
    const registers = [registry];
    this.lobbyWatchers = new Gauge({ name: 'switchboard_gateway_lobby_watchers', help: 'Connections watching the live room registry (rooms.subscribe)', registers });
    this.connections = new Gauge({ name: 'switchboard_gateway_connections', help: 'Open client connections', registers });
    this.connects = new Counter({ name: 'switchboard_gateway_connects_total', help: 'Upgrade attempts by result', labelNames: ['result'], registers });
    this.disconnects = new Counter({ name: 'switchboard_gateway_disconnects_total', help: 'Closed connections by reason', labelNames: ['reason'], registers });
    this.messagesIn = new Counter({ name: 'switchboard_gateway_messages_in_total', help: 'Client frames received by type', labelNames: ['type'], registers });
    this.messagesOut = new Counter({ name: 'switchboard_gateway_messages_out_total', help: 'Frames sent to clients by type', labelNames: ['type'], registers });
    this.errors = new Counter({ name: 'switchboard_gateway_errors_total', help: 'Error replies by code', labelNames: ['code'], registers });
    this.rateLimited = new Counter({ name: 'switchboard_gateway_rate_limited_total', help: 'Frames dropped by the per-connection rate limit', registers });
    this.eventDelivery = new Histogram({
      name: 'switchboard_gateway_event_delivery_seconds',
      help: 'Time from event publication to the write on the client socket',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    this.subscriptions = new Gauge({ name: 'switchboard_gateway_nats_subscriptions', help: 'NATS subjects this replica subscribes for its connections', registers });
    this.attestationChecks = new Counter({
      name: 'switchboard_gateway_attestation_checks_total',
      help: 'Attestation checks at upgrade by mode (log, enforce) and result (ok, unattested, blocked, too_old); in log mode refusals are only counted',
      labelNames: ['mode', 'result'],
      registers,
    });
    this.reorderGaps = new Counter({ name: 'switchboard_gateway_reorder_gaps_total', help: 'Room event gaps that outlived the reorder window', registers });
    this.resumes = new Counter({ name: 'switchboard_gateway_resumes_total', help: 'session.resume outcomes: ok or the error code (conflict: state lost, refetch)', labelNames: ['outcome'], registers });
    this.resumeHistoryReads = new Counter({ name: 'switchboard_gateway_resume_history_reads_total', help: 'Room histories a session.resume replayed, by source: tail (the shared in-memory tail) or stream (a JetStream read)', labelNames: ['source'], registers });
    this.signals = new Counter({
      name: 'switchboard_gateway_signals_total',
      help: 'Signals relayed to another connection by mode: request (verdict awaited), published (any kind to a trusted target, ADRs 0056 and 0066), refused (a published one reported back as signal.failed)',
      labelNames: ['mode'],
      registers,
    });
    // Series an SRE alerts on exist from the start (0, not "no data").
    for (const reason of ['slow_consumer', 'client']) this.disconnects.inc({ reason }, 0);
    for (const outcome of ['ok', 'conflict']) this.resumes.inc({ outcome }, 0);
    const connections = () => this.connectionsSource();
    // Unsent bytes per connection, read at scrape time: the sum is this replica's memory at
    // risk, the max shows the connection closest to the slow-consumer cap (OUTBOUND_MAX_BYTES).
    new Gauge({
      name: 'switchboard_gateway_outbound_buffered_bytes',
      help: 'Bytes queued on client sockets and not yet sent (stat: sum over connections, or max per connection)',
      labelNames: ['stat'],
      registers,
      collect() {
        let sum = 0;
        let max = 0;
        for (const c of connections()) {
          sum += c.ws.bufferedAmount;
          max = Math.max(max, c.ws.bufferedAmount);
        }
        this.set({ stat: 'sum' }, sum);
        this.set({ stat: 'max' }, max);
      },
    });
  }

  /** Where the outbound buffer gauge finds this replica's connections (the ConnectionRegistry). */
  connectionsFrom(source: () => Iterable<{ ws: { bufferedAmount: number } }>): void {
    this.connectionsSource = source;
  }
}
