import type { IncomingMessage } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Observable } from 'rxjs';
import type { AttestationPolicyCache, Verdict } from '../attestation/policy.cache.js';
import { extractAttestationToken, extractToken, selectProtocol } from '../auth/credentials.js';
import { AuthError, TokenVerifier, type Identity } from '../auth/token.verifier.js';
import type { GatewayMetrics } from '../metrics/gateway.metrics.js';

/** The identity verified during the upgrade rides on the request into handleConnection. */
/** The identity verified during the upgrade (and the attestation verdict, when checked) ride on the request into handleConnection. */
export type AuthedRequest = IncomingMessage & { sbIdentity?: Identity; sbAttestation?: Verdict };

/**
 * WsAdapter that authenticates during the HTTP upgrade (no token → 401, never an open
 * socket), negotiates the encoding subprotocol and leaves frame handling to the gateway.
 */
export class GatewayWsAdapter extends WsAdapter {
  constructor(
    app: INestApplication,
    private readonly verifier: TokenVerifier,
    private readonly metrics: GatewayMetrics,
    private readonly hardMaxPayload: number,
    private readonly accepting: () => boolean,
    private readonly attestation: { mode: 'off' | 'log' | 'enforce'; cache: AttestationPolicyCache },
  ) {
    super(app);
  }

  override create(port: number, options: Record<string, any> = {}) {
    return super.create(port, {
      ...options,
      // Frames over maxFrameBytes get a `too_large` reply; only absurd ones hit this cap (1009).
      maxPayload: this.hardMaxPayload,
      perMessageDeflate: false,
      handleProtocols: (protocols: Set<string>) => selectProtocol(protocols),
      verifyClient: (info: { req: AuthedRequest }, cb: (ok: boolean, code?: number, message?: string) => void) => {
        if (!this.accepting()) {
          this.metrics.connects.inc({ result: 'draining' });
          return cb(false, 503, 'Service Unavailable');
        }
        const token = extractToken(info.req);
        if (!token) {
          this.metrics.connects.inc({ result: 'unauthorized' });
          return cb(false, 401, 'Unauthorized');
        }
        this.verifier.verify(token).then(
          async (identity) => {
            info.req.sbIdentity = identity;
            // Refusals close the socket right after the upgrade (4010–4012), so the client sees a reason.
            if (this.attestation.mode !== 'off') {
              const verdict = (info.req.sbAttestation = await this.attestation.cache.check(extractAttestationToken(info.req)));
              this.metrics.attestationChecks.inc({ mode: this.attestation.mode, result: verdict.result });
            }
            cb(true);
          },
          (err) => {
            this.metrics.connects.inc({ result: err instanceof AuthError || err?.code?.startsWith?.('ERR_J') ? 'unauthorized' : 'error' });
            cb(false, 401, 'Unauthorized');
          },
        );
      },
    });
  }

  /** Frames are read by ClientGateway itself; Nest's {event,data} routing is not our protocol. */
  override bindMessageHandlers(_client: unknown, _handlers: MessageMappingProperties[], _transform: (data: any) => Observable<any>): void {}
}
