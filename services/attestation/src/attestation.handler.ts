import type * as grpc from '@grpc/grpc-js';
import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, toGrpcError, unaryHandlers, type Logger } from '@switchboard/platform';
import { attestation as pb } from '@switchboard/proto';
import { AttestRegisterBody, AttestChallengeBody, AttestVerifyBody, badRequest, ProtocolError, type VersionPolicyView } from '@switchboard/protocol';
import type { z } from 'zod';
import type { AttestationConfig } from './config.js';
import { BuildTokensService } from './build-tokens/build-tokens.service.js';
import type { BuildTokenRow } from './build-tokens/build-tokens.store.js';
import { ChallengesService } from './challenges/challenges.service.js';
import { DevicesService } from './devices/devices.service.js';
import { SigningKeys } from './keys/signing-keys.js';
import { PolicyService } from './policy/policy.service.js';
import { ReferencesService } from './references/references.service.js';
import type { ReferenceRow } from './references/references.store.js';
import { ServersService } from './servers/servers.service.js';

const toBuildToken = (r: BuildTokenRow): pb.BuildToken => ({ id: r.id, platform: r.platform, version: r.version, label: r.label, createdAt: r.createdAt.getTime(), revokedAt: r.revokedAt?.getTime() ?? 0 });
const toReference = (r: ReferenceRow): pb.Reference => ({ platform: r.platform, version: r.version, size: r.size, sha256: r.sha256, uploadedAt: r.uploadedAt.getTime() });
const toPolicy = (p: VersionPolicyView): pb.VersionPolicy => ({ platform: p.platform, minimum: p.minimum ?? '', blocked: p.blocked, recommended: p.recommended ?? '', updatedAt: p.updatedAt });

/** Public requests arrive from the gateway already validated; checked again here, the process boundary. */
function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw badRequest(r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return r.data;
}

/** gRPC AttestationService: the gateway's public routes, upgrade checks, registry heartbeats and admin API. */
@Injectable()
export class AttestationHandler {
  constructor(
    private readonly buildTokens: BuildTokensService,
    private readonly devices: DevicesService,
    private readonly references: ReferencesService,
    private readonly challenges: ChallengesService,
    private readonly policy: PolicyService,
    private readonly servers: ServersService,
    private readonly keys: SigningKeys,
    @Inject(CONFIG) private readonly config: AttestationConfig,
  ) {}

  grpc(logger: Logger): pb.AttestationServiceServer {
    const unary = unaryHandlers<pb.AttestationServiceServer>(
      {
        createBuildToken: async (req) => {
          parse(AttestRegisterBody.pick({ platform: true, version: true }), req);
          if (req.label.length > 200) throw badRequest('label: at most 200 characters');
          const { row, token } = await this.buildTokens.create(req.platform, req.version, req.label);
          return { buildToken: toBuildToken(row), token };
        },
        listBuildTokens: async (req) => ({ buildTokens: (await this.buildTokens.list(req.platform || undefined)).map(toBuildToken) }),
        revokeBuildToken: async (req) => ({ buildToken: toBuildToken(await this.buildTokens.revoke(req.id)) }),
        registerDevice: async (req) => ({ deviceId: await this.devices.register(parse(AttestRegisterBody, req)) }),
        listReferences: async (req) => ({ references: (await this.references.list(req.platform || undefined)).map(toReference) }),
        deleteReference: async (req) => {
          await this.references.delete(req.platform, req.version);
          return { deleted: true };
        },
        createChallenge: async (req) => this.challenges.challenge(parse(AttestChallengeBody, req).deviceId),
        verify: async (req) => this.challenges.verify(parse(AttestVerifyBody, req)),
        getPolicies: async () => {
          const tokenKeys = [{ kid: this.keys.token.id, jwk: JSON.stringify(this.keys.token.publicKey.export({ format: 'jwk' })) }];
          if (this.keys.previousToken) tokenKeys.push({ kid: this.keys.previousToken.id, jwk: JSON.stringify(this.keys.previousToken.publicKey.export({ format: 'jwk' })) });
          return {
            policies: (await this.policy.all()).map(toPolicy),
            tokenKeys,
            tokenIssuer: this.config.ATTESTATION_TOKEN_ISSUER,
            tokenAudience: this.config.ATTESTATION_TOKEN_AUDIENCE,
          };
        },
        setPolicy: async (req) => {
          const p = req.policy;
          if (!p) throw badRequest('policy is required');
          return { policy: toPolicy(await this.policy.set({ platform: p.platform, minimum: p.minimum || null, blocked: p.blocked, recommended: p.recommended || null })) };
        },
        deletePolicy: async (req) => {
          await this.policy.delete(req.platform);
          return { deleted: true };
        },
        registerServer: async (req) => {
          if (!req.server) throw badRequest('server is required');
          return { ttlMs: await this.servers.register(req.server) };
        },
        deregisterServer: async (req) => ({ removed: await this.servers.remove(req.nodeId) }),
        listServers: async () => ({ servers: await this.servers.list() }),
        getServerList: async () => this.servers.signedList(),
        uploadReference: undefined as never,
      },
      logger,
    );
    return { ...unary, uploadReference: (call, callback) => void this.upload(call, logger).then((res) => callback(null, res), (err) => callback(toGrpcError(err))) };
  }

  /** Client stream: header, chunks, finish. Without `finish` (cancelled) nothing is stored. */
  private async upload(call: grpc.ServerReadableStream<pb.UploadReferenceRequest, pb.UploadReferenceResponse>, logger: Logger): Promise<pb.UploadReferenceResponse> {
    const messages = call[Symbol.asyncIterator]();
    const first = await messages.next();
    const header = first.done ? undefined : (first.value as pb.UploadReferenceRequest).header;
    if (!header) throw badRequest('the first message must carry the header');
    let finished = false;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (;;) {
        const next = await messages.next();
        if (next.done) break;
        const m = next.value as pb.UploadReferenceRequest;
        if (m.finish) {
          finished = true;
          break;
        }
        if (m.chunk) yield m.chunk;
      }
      if (!finished || call.cancelled) throw badRequest('upload ended without finish: nothing stored');
    }
    try {
      const { row, replaced } = await this.references.upload(header.platform, header.version, chunks());
      return { reference: toReference(row), replaced };
    } catch (err) {
      if (!(err instanceof ProtocolError)) logger.error({ err }, 'reference upload failed');
      // Let the sender stop streaming: the answer is already known.
      if (!call.cancelled) call.destroy();
      throw err;
    }
  }
}
