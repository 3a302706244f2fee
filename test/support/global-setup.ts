import type { TestProject } from 'vitest/node';
import { startTestInfra, type TestInfra } from './infra.js';

let infra: TestInfra | undefined;

/** One private NATS + Redis and freshly migrated databases (rooms, media, attestation) for the whole test run. */
export default async function setup(project: TestProject) {
  infra = await startTestInfra();
  project.provide('natsUrl', infra.natsUrl);
  project.provide('natsLogFile', infra.natsLogFile);
  project.provide('redisUrl', infra.redisUrl);
  project.provide('roomsDatabaseUrl', infra.roomsDatabaseUrl);
  project.provide('mediaDatabaseUrl', infra.mediaDatabaseUrl);
  project.provide('attestationDatabaseUrl', infra.attestationDatabaseUrl);
  project.provide('livekitBinary', infra.livekitBinary);
  project.provide('livekitUnavailable', infra.livekitUnavailable);
  project.provide('s3', infra.s3);
  return async () => {
    await infra?.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    natsUrl: string;
    natsLogFile: string;
    redisUrl: string;
    roomsDatabaseUrl: string;
    mediaDatabaseUrl: string;
    attestationDatabaseUrl: string;
    livekitBinary: string;
    livekitUnavailable: string;
    s3: { endpoint: string; bucket: string; accessKeyId: string; secretAccessKey: string };
  }
}
