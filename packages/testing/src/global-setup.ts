import type { TestProject } from 'vitest/node';
import { startTestInfra, type InfraSlot, type TestInfra } from './infra.js';
// @ts-expect-error plain ESM script without types
import { bundleServices as bundleServicesJs } from '../../../scripts/bundle.mjs';

const bundleServices: (opts: { ifStale: boolean }) => Promise<boolean> = bundleServicesJs;

let infra: TestInfra | undefined;

/**
 * One private NATS + Redis and freshly migrated databases (rooms, media, attestation) per
 * vitest worker, so test files run in parallel without sharing queue groups (ADR 0018).
 */
export default async function setup(project: TestProject) {
  const workers = project.globalConfig.maxWorkers;
  // Spawned service processes run dist/bundle/ (ServiceProcess, npm start): rebuilt here when
  // older than tsc's dist/ (ADR 0093), beside the infrastructure's start.
  const [started] = await Promise.all([startTestInfra(workers), bundleServices({ ifStale: true })]);
  infra = started;
  project.provide('infraSlots', infra.slots);
  project.provide('livekitBinary', infra.livekitBinary);
  project.provide('livekitUnavailable', infra.livekitUnavailable);
  project.provide('s3', infra.s3);
  return async () => {
    await infra?.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    infraSlots: InfraSlot[];
    livekitBinary: string;
    livekitUnavailable: string;
    s3: { endpoint: string; bucket: string; accessKeyId: string; secretAccessKey: string };
  }
}
