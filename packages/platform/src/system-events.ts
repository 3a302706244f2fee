import { bus } from '@switchboard/proto';
import { queueGroup, subjects } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { decodeJson, type CommandBus, type Subscription } from './nats.js';

/**
 * Consumes a cluster-wide notice (`sb.sys.<topic>`, e.g. presence's `conn.gone`) in the
 * service's queue group, so one replica of each service handles each notice. Bodies are
 * checked against `schema`; malformed notices and handler failures are logged, never thrown.
 */
export function onSystemEvent<S extends z.ZodType>(
  commandBus: CommandBus,
  service: string,
  topic: string,
  schema: S,
  handler: (data: z.output<S>) => Promise<unknown>,
  logger: Logger,
  /** `every`: each replica gets every notice (a fan-out such as the room registry), not one replica per service. */
  delivery: 'one' | 'every' = 'one',
): Subscription {
  const handle = async (payload: Uint8Array) => {
    try {
      const parsed = schema.safeParse(decodeJson(bus.Event.decode(payload).data));
      if (!parsed.success) return logger.warn({ topic, issues: parsed.error.issues }, 'ignoring malformed system notice');
      await handler(parsed.data);
    } catch (err) {
      logger.warn({ err, topic }, 'system notice handling failed');
    }
  };
  return commandBus.nc.subscribe(subjects.system(topic), {
    ...(delivery === 'one' ? { queue: queueGroup(service) } : {}),
    callback: (err, msg) => {
      if (err) return logger.error({ err, topic }, 'system notice subscription error');
      void handle(msg.data);
    },
  });
}

/**
 * Publishes a cluster-wide notice on `sb.sys.<topic>` after checking it against the schema its
 * consumers parse with (onSystemEvent), so a malformed notice fails at the publisher.
 */
export function publishSystemEvent<S extends z.ZodType>(commandBus: CommandBus, topic: string, schema: S, data: z.input<S>): void {
  commandBus.publish(subjects.system(topic), { type: topic, data: schema.parse(data) });
}
