import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { SwitchboardClient, type RawConnectOptions as ConnectOptions } from '@switchboard/client/node';
import { CommandBus, connectNats, createLogger, createMetricsRegistry, natsMetrics, type ServiceHandle } from '@switchboard/platform';
import { SignJWT } from 'jose';
import { expect, inject } from 'vitest';
import { freePort, NATS_TEST_PASSWORD, NATS_TEST_USER, startTestNatsCluster, startTestRedisCluster } from './infra.js';
import { slot } from './slot.js';
// @ts-expect-error plain ESM script without types
import { bundleEntry as bundleEntryJs } from '../../../scripts/bundle.mjs';
// @ts-expect-error plain ESM script without types
import { cpuFromProcStat as cpuFromProcStatJs } from '../../../scripts/lib/phases.mjs';

const bundleEntry: (service: string) => string = bundleEntryJs;
const cpuFromProcStat: (stat: string) => { self: number; children: number } = cpuFromProcStatJs;

export { NATS_TEST_PASSWORD, NATS_TEST_USER };

export const JWT_SECRET = 'test-secret-test-secret-test-secret';
export const ADMIN_KEY = 'test-admin-key';
export const ADMIN_JWT_SECRET = 'test-admin-jwt-secret-test-admin-jwt-secret';
/** Shared secret of the gRPC call credentials in tests (GRPC_AUTH_SECRET). */
export const GRPC_SECRET = 'test-grpc-secret-test-grpc-secret';

let counter = 0;
/** Unique, readable id per test object (users, rooms, nodes). */
export const uid = (prefix = 'u') => `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** Environment for a service under test: private infra, ephemeral ports, quiet logs. */
export function testEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    NATS_URL: slot().natsUrl,
    // Each service connects as its own NATS user (the service name) with this password.
    NATS_PASSWORD: NATS_TEST_PASSWORD,
    REDIS_URL: slot().redisUrl,
    DATABASE_URL: slot().roomsDatabaseUrl,
    JWT_SECRET,
    ADMIN_API_KEYS: ADMIN_KEY,
    ADMIN_JWT_SECRET,
    GRPC_AUTH_SECRET: GRPC_SECRET,
    GRPC_HOST: '127.0.0.1',
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    GRPC_PORT: '0',
    NODE_ID: uid('node'),
    ...s3TestEnv(),
    ...overrides,
  };
}

/** The test run's S3-compatible store (scripts/lib/s3.mjs) as services are configured for it. */
export function s3TestEnv(): Record<string, string> {
  const s3 = inject('s3');
  return { S3_ENDPOINT: s3.endpoint, S3_BUCKET: s3.bucket, S3_ACCESS_KEY_ID: s3.accessKeyId, S3_SECRET_ACCESS_KEY: s3.secretAccessKey };
}

/** PUTs bytes to a presigned upload (`chat.upload`, `emoji.upload`) exactly as a client does; the store's HTTP status. */
export async function putPresigned(upload: { url: string; headers: Record<string, string> }, body: Buffer): Promise<number> {
  const res = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: new Uint8Array(body) });
  await res.arrayBuffer();
  return res.status;
}

/** A 1×1 PNG: a real image for custom emoji and upload tests. */
export const TINY_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

/** testEnv for the media service: its own database (the call log). */
export const mediaTestEnv = (overrides: Record<string, string | undefined> = {}) => testEnv({ DATABASE_URL: slot().mediaDatabaseUrl, ...overrides });

/** testEnv for the attestation service: its own database (tokens, devices, references, policy). */
export const attestationTestEnv = (overrides: Record<string, string | undefined> = {}) => testEnv({ DATABASE_URL: slot().attestationDatabaseUrl, ...overrides });

export async function token(userId: string, claims: Record<string, unknown> = {}, ttlSeconds = 3600): Promise<string> {
  return new SignJWT({ name: userId, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(new TextEncoder().encode(JWT_SECRET));
}

/**
 * A private 3-node NATS cluster and Redis Cluster (3 masters + 3 replicas), stopped with `stack`
 * (issue 16). Private even in the clustered pass: the worker's slot is shared with the files
 * after this one, so a test that kills nodes, or sets its own room stream shards and replicas
 * (subjects and replica counts that must not clash with the slot's streams), starts its own.
 */
export async function startTestClusters(stack: Stack): Promise<{ natsUrl: string; redisUrl: string }> {
  const [nats, redis] = await Promise.all([startTestNatsCluster(), startTestRedisCluster()]);
  stack.onStop(() => Promise.all([nats.stop(), redis.stop()]));
  return { natsUrl: nats.urls, redisUrl: redis.url };
}

/**
 * Tracks what a test started and stops all of it, in reverse order. Once stopped, it takes
 * nothing more: a test that timed out keeps running after its file's hooks stopped the stack,
 * and what it starts then would outlive the file (a service process orphaned, an in-process
 * replica answering the next file's commands in the same worker, ADR 0077). Such a late start
 * is stopped at once and the call throws.
 */
export class Stack {
  private readonly stops: (() => Promise<unknown>)[] = [];
  private stopped = false;

  async add<H extends ServiceHandle<unknown>>(handle: Promise<H>): Promise<H> {
    const h = await handle;
    return this.track(h, () => h.stop());
  }

  async client(gateway: { httpPort: number }, userId = uid(), opts: ConnectOptions & { claims?: Record<string, unknown> } = {}): Promise<SwitchboardClient> {
    const c = await SwitchboardClient.connect(`ws://127.0.0.1:${gateway.httpPort}/ws`, await token(userId, opts.claims), opts);
    return this.track(c, () => c.close().catch(() => undefined));
  }

  async process(service: string, env: Record<string, string | undefined>): Promise<ServiceProcess> {
    const p = await ServiceProcess.start(service, env);
    return this.track(p, () => p.stop());
  }

  /**
   * The suite's own NATS connection (NATS_TEST_USER, unrestricted) with a CommandBus, to
   * command services as the gateway would and to watch subjects; closed on stop.
   */
  async testBus(timeoutMs = 15_000): Promise<CommandBus> {
    const logger = createLogger({ service: 'test', level: 'silent', nodeId: 'test', production: false });
    const nc = await connectNats(slot().natsUrl, 'test', logger, { user: NATS_TEST_USER, password: NATS_TEST_PASSWORD });
    this.track(nc, () => nc.close());
    return new CommandBus(nc, natsMetrics(createMetricsRegistry('test', 'test')), logger, timeoutMs);
  }

  onStop(fn: () => Promise<unknown>): void {
    this.track(undefined, fn);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    while (this.stops.length) await this.stops.pop()!().catch(() => undefined);
  }

  private track<T>(thing: T, stop: () => Promise<unknown>): T {
    if (!this.stopped) {
      this.stops.push(stop);
      return thing;
    }
    void stop().catch(() => undefined);
    throw new Error('started after its stack was stopped (a test still running after its timeout?): stopped again at once');
  }
}

/**
 * A built service in its own OS process, for crash and restart tests: the bundle the image runs
 * (dist/bundle/<service>.mjs, scripts/bundle.mjs; the global setup brings it up to date).
 */
export class ServiceProcess {
  private exited: Promise<number | null>;
  output = '';
  /** CPU seconds the process spent from spawn to its first ready /readyz (issue 12). */
  readyCpuS?: number;

  private constructor(
    readonly service: string,
    readonly child: ChildProcess,
    readonly httpPort: number,
    readonly env: Record<string, string | undefined>,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdout?.on('data', (d) => (this.output = (this.output + d).slice(-20_000)));
    child.stderr?.on('data', (d) => (this.output = (this.output + d).slice(-20_000)));
  }

  static async start(service: string, env: Record<string, string | undefined>): Promise<ServiceProcess> {
    const httpPort = env.HTTP_PORT && env.HTTP_PORT !== '0' ? Number(env.HTTP_PORT) : await freePort();
    const fullEnv = { ...process.env, ...env, HTTP_PORT: String(httpPort) };
    const t0 = performance.now();
    const child = spawn(process.execPath, [bundleEntry(service)], { env: fullEnv as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const p = new ServiceProcess(service, child, httpPort, fullEnv);
    await p.waitReady();
    p.logReadyCpu((performance.now() - t0) / 1000);
    return p;
  }

  /** SB_STARTUP_CPU_LOG=<file>: one JSON line per started process, its CPU and wall seconds to ready. */
  private logReadyCpu(wallS: number): void {
    try {
      this.readyCpuS = cpuFromProcStat(readFileSync(`/proc/${this.child.pid}/stat`, 'utf8')).self;
    } catch {
      return; // no procfs (not Linux): nothing to report
    }
    const log = process.env.SB_STARTUP_CPU_LOG;
    const r = (n: number) => Math.round(n * 100) / 100;
    if (log) appendFileSync(log, `${JSON.stringify({ service: this.service, cpuS: r(this.readyCpuS), wallS: r(wallS), file: expect.getState().testPath })}\n`);
  }

  async waitReady(timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`${this.service} exited with ${this.child.exitCode}:\n${this.output}`);
      try {
        const res = await fetch(`http://127.0.0.1:${this.httpPort}/readyz`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.service} not ready within ${timeoutMs} ms:\n${this.output}`);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill(signal);
    return this.exited;
  }

  stop(): Promise<number | null> {
    return this.kill('SIGTERM');
  }
}

/** Polls until check() is truthy; the way tests wait instead of sleeping. */
export async function until<T>(check: () => Promise<T> | T, what: string, timeoutMs = 10_000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/**
 * Retries a request until it succeeds (bounded): for steps right after a failover, or right
 * after start-up on a cluster, where a first attempt may meet `unavailable` by design.
 */
export function retrying<T>(what: string, request: () => Promise<T>, timeoutMs = 20_000): Promise<NonNullable<T>> {
  return until(() => request().catch(() => undefined), what, timeoutMs, 200);
}
