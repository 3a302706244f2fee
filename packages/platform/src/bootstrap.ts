import 'reflect-metadata';
import { Global, Module, type DynamicModule, type INestApplication, type LoggerService, type Provider } from '@nestjs/common';
import { DiscoveryModule, NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import type { z } from 'zod';
import type { BaseConfig } from './config.js';
import { loadConfig } from './config.js';
import { type GrpcServerHandle, startGrpcServer } from './grpc.js';
import { HealthController } from './health.controller.js';
import { createLogger, type Logger } from './logger.js';
import { clientMetrics, createMetricsRegistry, grpcServerMetrics, httpMetrics, natsMetrics, readinessMetrics } from './metrics.js';
import { CommandBus, connectNats } from './nats.js';
import { CONFIG, LOGGER, NATS, type Platform } from './platform.js';
import { Readiness } from './readiness.js';
import { createRedis } from './redis.js';
import { startTelemetry, stopTelemetry } from './telemetry.js';
import { Wiring } from './wiring.js';
import type * as grpc from '@grpc/grpc-js';

/** Routes Nest's own log lines into the process's pino logger. */
class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
}

/** Makes the platform's connected clients injectable in every module of a service. */
@Global()
@Module({})
export class PlatformModule {
  static forPlatform(p: Platform): DynamicModule {
    const providers: Provider[] = [
      { provide: CONFIG, useValue: p.config },
      { provide: LOGGER, useValue: p.logger },
      { provide: NATS, useValue: p.nc },
      { provide: CommandBus, useValue: p.bus },
      { provide: Registry, useValue: p.registry },
      { provide: Readiness, useValue: p.readiness },
    ];
    if (p.redis) providers.push({ provide: Redis, useValue: p.redis });
    return {
      module: PlatformModule,
      // Wiring finds the decorated methods (@Command, @Every, the gateway's hooks) at start-up.
      imports: [DiscoveryModule],
      controllers: [HealthController],
      providers: [...providers, Wiring],
      exports: [...providers.map((x) => (x as { provide: unknown }).provide as string), Wiring],
    };
  }
}

export interface ServiceOptions<S extends z.ZodType> {
  service: string;
  configSchema: S;
  /** Environment to read; defaults to process.env (tests pass their own). */
  env?: Record<string, string | undefined>;
  redis?: boolean;
  /** The service's root module, given the connected platform. */
  module: (platform: Platform<z.output<S> & BaseConfig>) => DynamicModule;
  /** gRPC services to expose, resolved from the Nest container once it is up. */
  grpc?: (app: INestApplication) => { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation; name: string }[];
  /** Runs before the Nest container is built: create streams, check schemas. */
  prepare?: (platform: Platform<z.output<S> & BaseConfig>) => Promise<void> | void;
  /** Route template of an HTTP request for switchboard_http_* (e.g. the admin API's table); unknown → `unmatched`. */
  httpRoute?: (method: string, path: string) => string | undefined;
  /** Runs on the created app before it listens (adapters, global pipes). */
  configure?: (app: INestApplication, platform: Platform<z.output<S> & BaseConfig>) => void;
  /** Runs after HTTP (and gRPC) listen: start consumers, timers. */
  afterStart?: (app: INestApplication, platform: Platform<z.output<S> & BaseConfig>) => Promise<void> | void;
  /** Runs first on shutdown, while NATS is still connected (e.g. a gateway drains sockets). */
  beforeStop?: (app: INestApplication, platform: Platform<z.output<S> & BaseConfig>) => Promise<void> | void;
}

export interface ServiceHandle<C> {
  app: INestApplication;
  platform: Platform<C & BaseConfig>;
  httpPort: number;
  grpcPort?: number;
  /** Graceful stop: readiness off, hooks, gRPC, HTTP, NATS drain, Redis quit. Idempotent. */
  stop(): Promise<void>;
}

export async function startService<S extends z.ZodType>(opts: ServiceOptions<S>): Promise<ServiceHandle<z.output<S>>> {
  type C = z.output<S> & BaseConfig;
  const config = loadConfig(opts.configSchema, opts.env ?? process.env) as C;
  const logger = createLogger({ service: opts.service, level: config.LOG_LEVEL, nodeId: config.NODE_ID, production: config.NODE_ENV === 'production' });
  await startTelemetry(opts.service, config.OTEL_EXPORTER_OTLP_ENDPOINT, logger);
  const registry = createMetricsRegistry(opts.service, config.NODE_ID);
  const metrics = natsMetrics(registry);
  const nc = await connectNats(config.NATS_URL, `${opts.service}:${config.NODE_ID}`, logger, { user: config.NATS_USER ?? opts.service, password: config.NATS_PASSWORD }, config.NATS_WRITES);
  const readiness = new Readiness();
  readinessMetrics(registry, () => readiness.report());
  readiness.add('nats', async () => {
    await nc.flush();
    return !nc.isClosed();
  });
  const redis = opts.redis ? createRedis(config.REDIS_URL, logger, `${opts.service}:${config.NODE_ID}`, clientMetrics(registry, 'redis')) : undefined;
  if (redis) readiness.add('redis', async () => (await redis.ping()) === 'PONG');
  const platform: Platform<C> = { service: opts.service, config, logger, registry, natsMetrics: metrics, nc, bus: new CommandBus(nc, metrics, logger, config.REQUEST_TIMEOUT_MS), redis, readiness };

  await opts.prepare?.(platform);
  const app = await NestFactory.create(opts.module(platform), { logger: new PinoNestLogger(logger), abortOnError: false });
  // No framework banner: `X-Powered-By: Express` tells an attacker what to try.
  (app.getHttpAdapter().getInstance() as { disable?: (setting: string) => void }).disable?.('x-powered-by');
  app.use(httpMetrics(registry, opts.httpRoute));
  opts.configure?.(app, platform);
  // Nest hands the arguments to http.Server.listen(port, host, backlog, cb); its type names only two.
  await (app.listen as unknown as (port: number, host: string, backlog: number) => Promise<unknown>).call(app, config.HTTP_PORT, config.HTTP_HOST, config.HTTP_BACKLOG);
  const address = app.getHttpServer().address() as { port: number };
  let grpcServer: GrpcServerHandle | undefined;
  const { GRPC_PORT: grpcPort, GRPC_HOST: grpcHost } = config as { GRPC_PORT?: number; GRPC_HOST?: string };
  if (opts.grpc && grpcPort !== undefined) {
    grpcServer = await startGrpcServer({ host: grpcHost, port: grpcPort, authSecret: config.GRPC_AUTH_SECRET, services: opts.grpc(app), logger, metrics: grpcServerMetrics(registry) });
  }
  await opts.afterStart?.(app, platform);
  // The server has every subscription made at start-up before start resolves: a request sent
  // right after (a test, a replica's first peer) finds its responders (NATS writes leave once
  // per turn, ADR 0082, so a SUB may otherwise still be in this process's buffer).
  await nc.flush();
  logger.info({ httpPort: address.port, grpcPort: grpcServer?.port }, `${opts.service} started`);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      readiness.draining = true;
      grpcServer?.setServing(false);
      try {
        await opts.beforeStop?.(app, platform);
      } catch (err) {
        logger.error({ err }, 'beforeStop failed');
      }
      await grpcServer?.stop(Math.min(config.SHUTDOWN_GRACE_MS, 5000));
      await app.close();
      await nc.drain().catch(() => undefined);
      await redis?.quit().catch(() => undefined);
      await stopTelemetry();
      logger.info(`${opts.service} stopped`);
    })());
  return { app, platform, httpPort: address.port, grpcPort: grpcServer?.port, stop };
}

/* v8 ignore start -- runs only as a service process's entry (main.ts) and ends in process.exit: the
   spawned-process tests (test/e2e/rooms-restart.spec.ts, ServiceProcess) exercise it, where in-process coverage cannot see. */
/** Entry point helper for main.ts: start, then stop cleanly on SIGTERM/SIGINT. */
export async function runService<S extends z.ZodType>(opts: ServiceOptions<S>): Promise<void> {
  let handle: ServiceHandle<z.output<S>>;
  try {
    handle = await startService(opts);
  } catch (err) {
    console.error(`${opts.service}: failed to start: ${(err as Error).message}`);
    process.exit(1);
  }
  const onSignal = (signal: string) => {
    handle.platform.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), handle.platform.config.SHUTDOWN_GRACE_MS + 5000);
    force.unref();
    handle.stop().then(
      () => process.exit(0),
      (err) => {
        handle.platform.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.on('unhandledRejection', (err) => handle.platform.logger.error({ err }, 'unhandled rejection'));
}
/* v8 ignore stop */
