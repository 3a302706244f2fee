import type { NatsConnection } from '@nats-io/transport-node';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { BaseConfig } from './config.js';
import type { NatsMetrics } from './metrics.js';
import type { CommandBus } from './nats.js';
import type { Readiness } from './readiness.js';

/** Injection tokens for what is not a class (or whose class is not unique). */
export const CONFIG = 'SB_CONFIG';
export const LOGGER = 'SB_LOGGER';
export const NATS = 'SB_NATS';

/** The connected infrastructure one process shares across its Nest providers. */
export interface Platform<C extends BaseConfig = BaseConfig> {
  service: string;
  config: C;
  logger: Logger;
  registry: Registry;
  natsMetrics: NatsMetrics;
  nc: NatsConnection;
  bus: CommandBus;
  redis?: Redis;
  readiness: Readiness;
}
