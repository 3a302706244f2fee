import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
// @ts-expect-error plain ESM script without types
import { stopChildren as stopChildrenJs } from '../../scripts/lib/cluster.mjs';
import { freePort, ROOT } from './infra.js';
import { slot } from './slot.js';
import { until } from './stack.js';

/** Ports start.mjs uses relative to SB_PORT_BASE (30: its own NATS server; 40-42: coturn, LiveKit HTTP and UDP; 50: the demo app). */
export const NPM_START_OFFSETS = [0, 1, 11, 12, 13, 14, 21, 22, 23, 24, 30, 40, 41, 42, 50];
/** HTTP ports (metrics, health) of the six processes: gateway-a, gateway-b, rooms, presence, media, attestation. */
export const NPM_START_HTTP = { gateway: [0, 1], rooms: [11], presence: [12], media: [13], attestation: [14] } as const;

export async function isFree(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(300) });
    return false;
  } catch (err) {
    return (err as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';
  }
}

// Bases stay below Linux's ephemeral range (32768+): there, a port that was free when checked can
// be taken by any outgoing connection or `listen(0)` before start.mjs binds it (a likely cause of
// a service exiting at start-up while the suite's other files ran).
async function freeBase(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 127) * 100;
    const ok = await Promise.all(NPM_START_OFFSETS.map((o) => isFree(base + o)));
    if (ok.every(Boolean)) return base;
  }
  return (await freePort()) - 30;
}

export interface NpmStart {
  child: ChildProcess;
  base: number;
  output(): string;
  /** Ctrl-C, as a user stops it: start.mjs stops every process it started. */
  stop(): Promise<void>;
}

/**
 * SIGINT, so start.mjs stops its services and sidecars (a SIGKILL would orphan them: seen as a
 * whole stack left running after a failed start-up); SIGKILL only if it has not exited in 30 s.
 */
const stopChildren: (children: ChildProcess[], signal: NodeJS.Signals, forceAfterMs: number) => Promise<void> = stopChildrenJs;
const stopStart = (child: ChildProcess): Promise<void> => stopChildren([child], 'SIGINT', 30_000);

/** `npm start` (scripts/start.mjs) as a user runs it, on free ports, against the suite's Redis and databases. */
export async function startNpmStart(env: Record<string, string>): Promise<NpmStart> {
  const base = await freeBase();
  let output = '';
  const child = spawn(process.execPath, [join(ROOT, 'scripts/start.mjs'), '--no-build', '--quiet'], {
    cwd: ROOT,
    env: {
      // No NATS_URL: start.mjs runs its own NATS with a user per service.
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NATS_URL' && k !== 'NATS_PASSWORD')),
      SB_PORT_BASE: String(base),
      REDIS_URL: slot().redisUrl,
      ROOMS_DATABASE_URL: slot().roomsDatabaseUrl,
      MEDIA_DATABASE_URL: slot().mediaDatabaseUrl,
      ATTESTATION_DATABASE_URL: slot().attestationDatabaseUrl,
      LOG_LEVEL: 'warn',
      // A shared, loaded CI machine can take longer than start.mjs's default 30 s per process.
      SB_READY_TIMEOUT_MS: '120000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  await until(() => output.includes('all processes ready') || child.exitCode !== null, 'the stack to come up', 180_000, 200).catch(() => undefined);
  if (!output.includes('all processes ready')) {
    await stopStart(child);
    throw new Error(`start.mjs did not come up:\n${output.slice(-4000)}`);
  }
  return { child, base, output: () => output, stop: () => stopStart(child) };
}
