import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Gauge, type Registry } from 'prom-client';
import { perScrape } from './metrics.js';

/**
 * JetStream state read at scrape time (one STREAM.INFO per stream, CONSUMER.LIST for its
 * durable consumers): messages and bytes kept, and how far each durable consumer is behind.
 * Every replica that registers it reports the same cluster-wide values: aggregate with max().
 * Ordered (ephemeral) consumers, like session.resume's readers, are left out: they live for
 * one replay and would make the consumer label unbounded.
 */
export function jetstreamMetrics(registry: Registry, nc: NatsConnection, streams: string[]): void {
  let jsm: Promise<JetStreamManager> | undefined;
  // One read per scrape sets every gauge below; each gauge awaits it in its collect() (perScrape).
  const read = perScrape(async () => {
    jsm ??= jetstreamManager(nc).catch((err) => {
      jsm = undefined;
      throw err;
    });
    pending.reset();
    for (const stream of streams) {
      try {
        const info = await (await jsm).streams.info(stream);
        messages.set({ stream }, info.state.messages);
        bytes.set({ stream }, info.state.bytes);
        consumers.set({ stream }, info.state.consumer_count);
        up.set({ stream }, 1);
        if (info.state.consumer_count > 0) await listDurables(await jsm, stream, (consumer, n) => pending.set({ stream, consumer }, n));
      } catch {
        up.set({ stream }, 0);
      }
    }
  });
  const collect = async () => void (await read());
  const labelNames = ['stream'] as const;
  const messages = new Gauge({ name: 'switchboard_jetstream_stream_messages', help: 'Messages a JetStream stream holds', labelNames, registers: [registry], collect });
  const bytes = new Gauge({ name: 'switchboard_jetstream_stream_bytes', help: 'Bytes a JetStream stream holds', labelNames, registers: [registry], collect });
  const consumers = new Gauge({ name: 'switchboard_jetstream_stream_consumers', help: 'Consumers of a JetStream stream (ordered ones included)', labelNames, registers: [registry], collect });
  const pending = new Gauge({
    name: 'switchboard_jetstream_consumer_pending_messages',
    help: 'Messages a durable JetStream consumer has not been delivered yet (its lag)',
    labelNames: ['stream', 'consumer'] as const,
    registers: [registry],
    collect,
  });
  const up = new Gauge({
    name: 'switchboard_jetstream_stream_up',
    help: '1 when the stream answered STREAM.INFO at the last scrape, 0 when it did not (missing stream, JetStream down)',
    labelNames,
    registers: [registry],
    collect,
  });
}

async function listDurables(jsm: JetStreamManager, stream: string, set: (consumer: string, pending: number) => void): Promise<void> {
  try {
    for await (const c of jsm.consumers.list(stream)) if (c.config.durable_name) set(c.name, c.num_pending);
  } catch {
    // No CONSUMER.LIST permission or a consumer vanished mid-list: the stream gauges still stand.
  }
}
