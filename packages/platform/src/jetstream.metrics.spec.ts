import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NATS_TEST_PASSWORD, NATS_TEST_USER } from '@switchboard/testing/infra';
import { slot } from '@switchboard/testing/slot';
import { uid } from '@switchboard/testing/stack';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamMetrics } from './jetstream.metrics.js';

/** Real nats-server with JetStream (the worker's slot): the gauges are what STREAM.INFO and CONSUMER.LIST say at scrape time. */
describe('jetstreamMetrics: stream and durable-consumer gauges read at scrape time', () => {
  let nc: NatsConnection;
  const made: string[] = [];
  const connectNats = () => connect({ servers: slot().natsUrl.split(','), user: NATS_TEST_USER, pass: NATS_TEST_PASSWORD });
  const stream = async () => {
    const name = uid('JSM')
      .toUpperCase()
      .replace(/[^A-Z0-9]/g, '');
    const subject = `jsm.${name.toLowerCase()}`;
    await (await jetstreamManager(nc)).streams.add({ name, subjects: [`${subject}.>`] });
    made.push(name);
    return { name, subject };
  };
  /** Every sample of the metric, as "label=value,..." -> value, after one scrape. */
  const scrape = async (registry: Registry) => {
    const out: Record<string, Record<string, number>> = {};
    for (const m of await registry.getMetricsAsJSON()) {
      out[m.name] = Object.fromEntries(
        m.values.map((v) => [
          Object.entries(v.labels)
            .map(([k, l]) => `${k}=${l}`)
            .join(','),
          v.value,
        ]),
      );
    }
    return out;
  };

  beforeAll(async () => {
    nc = await connectNats();
  });
  afterAll(async () => {
    const jsm = await jetstreamManager(nc);
    for (const name of made) await jsm.streams.delete(name).catch(() => undefined);
    await nc.close();
  });

  it('reports messages, bytes and consumers per stream, and the lag of durable consumers only (not ephemeral ones)', async () => {
    const a = await stream();
    const b = await stream();
    const js = jetstream(nc);
    for (let i = 0; i < 5; i++) await js.publish(`${a.subject}.x`, `m${i}`);
    await js.publish(`${b.subject}.x`, 'only');
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.add(a.name, { durable_name: 'lagging', ack_policy: AckPolicy.Explicit });
    await jsm.consumers.add(a.name, { ack_policy: AckPolicy.None, inactive_threshold: 60_000_000_000 }); // ephemeral: counted, never labelled
    const registry = new Registry();
    jetstreamMetrics(registry, nc, [a.name, b.name]);

    const first = await scrape(registry);
    const bytes = (await jsm.streams.info(a.name)).state.bytes;
    expect(first.switchboard_jetstream_stream_up).toEqual({ [`stream=${a.name}`]: 1, [`stream=${b.name}`]: 1 });
    expect(first.switchboard_jetstream_stream_messages).toEqual({ [`stream=${a.name}`]: 5, [`stream=${b.name}`]: 1 });
    expect(first.switchboard_jetstream_stream_bytes[`stream=${a.name}`]).toBe(bytes);
    expect(first.switchboard_jetstream_stream_consumers).toEqual({ [`stream=${a.name}`]: 2, [`stream=${b.name}`]: 0 });
    expect(first.switchboard_jetstream_consumer_pending_messages).toEqual({ [`stream=${a.name},consumer=lagging`]: 5 });

    // A durable that is gone leaves no stale lag series behind at the next scrape.
    await jsm.consumers.delete(a.name, 'lagging');
    await js.publish(`${a.subject}.x`, 'm5');
    const second = await scrape(registry);
    expect(second.switchboard_jetstream_consumer_pending_messages).toEqual({});
    expect(second.switchboard_jetstream_stream_messages[`stream=${a.name}`]).toBe(6);
    expect(second.switchboard_jetstream_stream_consumers[`stream=${a.name}`]).toBe(1);
  });

  it('marks a missing stream down (0) and keeps reporting the others', async () => {
    const a = await stream();
    const missing = uid('NOSUCH')
      .toUpperCase()
      .replace(/[^A-Z0-9]/g, '');
    const registry = new Registry();
    jetstreamMetrics(registry, nc, [missing, a.name]);
    const s = await scrape(registry);
    expect(s.switchboard_jetstream_stream_up).toEqual({ [`stream=${missing}`]: 0, [`stream=${a.name}`]: 1 });
    expect(s.switchboard_jetstream_stream_messages).toEqual({ [`stream=${a.name}`]: 0 });
  });

  it('marks every stream down while NATS is unreachable, without failing the scrape', async () => {
    const a = await stream();
    const closed = await connectNats();
    await closed.close();
    const registry = new Registry();
    jetstreamMetrics(registry, closed, [a.name]);
    const s = await scrape(registry);
    expect(s.switchboard_jetstream_stream_up).toEqual({ [`stream=${a.name}`]: 0 });
    expect(s.switchboard_jetstream_stream_messages).toEqual({});
    // The failed manager is not cached: a later scrape tries again (and fails again, the connection is still closed).
    expect((await scrape(registry)).switchboard_jetstream_stream_up).toEqual({ [`stream=${a.name}`]: 0 });
  });
});
