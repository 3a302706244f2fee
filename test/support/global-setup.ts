import type { TestProject } from 'vitest/node';
import { startTestInfra, type InfraSlot, type TestInfra } from './infra.js';

let infra: TestInfra | undefined;

/**
 * One private NATS + Redis and freshly migrated databases (rooms, media, attestation) per
 * vitest worker, so test files run in parallel without sharing queue groups (ADR 0018).
 */
export default async function setup(project: TestProject) {
  const workers = project.globalConfig.maxWorkers;
  infra = await startTestInfra(workers);
  project.provide('infraSlots', infra.slots);
  project.provide('livekitBinary', infra.livekitBinary);
  project.provide('livekitUnavailable', infra.livekitUnavailable);
  return async () => {
    await infra?.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    infraSlots: InfraSlot[];
    livekitBinary: string;
    livekitUnavailable: string;
  }
}
