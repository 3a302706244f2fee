import type { Readable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { Injectable } from '@nestjs/common';
import { fromGrpcError } from '@switchboard/platform';
import type { attestation } from '@switchboard/proto';
import { notFound } from '@switchboard/protocol';
import { policyView } from '../../attestation/policy.cache.js';
import { GrpcClients } from '../grpc-clients.js';
import type { ResultOf } from '../http/route.js';
import type { AdminRoutes } from '../routes.js';

/** An upload may take this long end to end (100 MiB over a slow admin link). */
const UPLOAD_DEADLINE_MS = 10 * 60_000;
/** Bytes per gRPC message of a streamed upload (well under grpc-js' 4 MiB limit). */
const UPLOAD_CHUNK = 256 * 1024;

const buildTokenOut = (t: attestation.BuildToken) => ({ id: t.id, platform: t.platform, version: t.version, label: t.label, createdAt: t.createdAt, revokedAt: t.revokedAt || null });

type R = AdminRoutes;

/** Resolves when a gRPC write stream wants more (or is gone); leaves no listeners behind. */
const drained = (call: NodeJS.EventEmitter) =>
  new Promise<void>((resolve) => {
    const done = () => {
      call.off('drain', done);
      call.off('close', done);
      resolve();
    };
    call.on('drain', done);
    call.on('close', done);
  });

/** Attestation admin: build tokens, reference binaries (streamed), version policy and the server registry, over gRPC. */
@Injectable()
export class AdminAttestationService {
  constructor(private readonly grpc: GrpcClients) {}

  async createBuildToken(body: { platform: string; version: string; label: string }): Promise<ResultOf<R['createBuildToken']>> {
    const res = await this.grpc.attestation((c) => c.createBuildToken, body);
    return { buildToken: buildTokenOut(res.buildToken!), token: res.token };
  }

  async listBuildTokens(platform?: string): Promise<ResultOf<R['listBuildTokens']>> {
    return { buildTokens: (await this.grpc.attestation((c) => c.listBuildTokens, { platform: platform ?? '' })).buildTokens.map(buildTokenOut) };
  }

  async revokeBuildToken(id: string): Promise<ResultOf<R['revokeBuildToken']>> {
    return { buildToken: buildTokenOut((await this.grpc.attestation((c) => c.revokeBuildToken, { id })).buildToken!) };
  }

  /**
   * Streams the request body to the attestation service (header, chunks, finish) with
   * backpressure. A body that breaks off is cancelled, so nothing is stored; a refusal (too
   * large) ends the upload at once.
   */
  uploadReference(platform: string, version: string, body: Readable): Promise<ResultOf<R['uploadReference']>> {
    const client = this.grpc.attestationRaw();
    return new Promise((resolve, reject) => {
      let settled = false;
      const call = client.uploadReference(new grpc.Metadata(), { deadline: Date.now() + UPLOAD_DEADLINE_MS }, (err, res) => {
        settled = true;
        if (err) return reject(fromGrpcError(err));
        resolve({ reference: res.reference!, replaced: res.replaced });
      });
      const abort = () => {
        if (!settled) call.cancel();
      };
      body.once('aborted', abort);
      body.once('error', abort);
      void (async () => {
        call.write({ header: { platform, version } });
        for await (const data of body as AsyncIterable<Buffer>) {
          for (let at = 0; at < data.length && !settled; at += UPLOAD_CHUNK) {
            if (!call.write({ chunk: data.subarray(at, at + UPLOAD_CHUNK) })) await drained(call);
          }
          if (settled) return;
        }
        if (!settled) {
          call.write({ finish: true });
          call.end();
        }
      })().catch(abort);
    });
  }

  async listReferences(platform?: string): Promise<ResultOf<R['listReferences']>> {
    return { references: (await this.grpc.attestation((c) => c.listReferences, { platform: platform ?? '' })).references };
  }

  async deleteReference(platform: string, version: string): Promise<ResultOf<R['deleteReference']>> {
    await this.grpc.attestation((c) => c.deleteReference, { platform, version });
    return { deleted: true };
  }

  async listPolicies(): Promise<ResultOf<R['listPolicies']>> {
    return { policies: (await this.grpc.attestation((c) => c.getPolicies, {})).policies.map(policyView) };
  }

  async setPolicy(platform: string, body: { minimum: string | null; blocked: string[]; recommended: string | null }): Promise<ResultOf<R['setPolicy']>> {
    const res = await this.grpc.attestation((c) => c.setPolicy, { policy: { platform, minimum: body.minimum ?? '', blocked: body.blocked, recommended: body.recommended ?? '', updatedAt: 0 } });
    return { policy: policyView(res.policy!) };
  }

  async deletePolicy(platform: string): Promise<ResultOf<R['deletePolicy']>> {
    await this.grpc.attestation((c) => c.deletePolicy, { platform });
    return { deleted: true };
  }

  async listServers(): Promise<ResultOf<R['listServers']>> {
    return { servers: (await this.grpc.attestation((c) => c.listServers, {})).servers };
  }

  async removeServer(nodeId: string): Promise<ResultOf<R['removeServer']>> {
    if (!(await this.grpc.attestation((c) => c.deregisterServer, { nodeId })).removed) throw notFound('no such server');
    return { removed: true };
  }
}
