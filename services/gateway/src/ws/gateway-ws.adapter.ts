import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { errors as joseErrors } from 'jose';
import type { Observable } from 'rxjs';
import { UPGRADE_AUTH_HEADER, type UpgradeAuthFailure } from '@switchboard/protocol';
import type { AttestationPolicyCache, Verdict } from '../attestation/policy.cache.js';
import { extractAttestationToken, extractToken, selectProtocol } from '../auth/credentials.js';
import { AuthError, TokenVerifier, type Identity } from '../auth/token.verifier.js';
import { corkedDuring } from '../connections/connection.js';
import type { GatewayMetrics } from '../metrics/gateway.metrics.js';

/** The identity verified during the upgrade (and the attestation verdict, when checked), and the connection id its slot was taken for, ride on the request into handleConnection. */
export type AuthedRequest = IncomingMessage & { sbIdentity?: Identity; sbAttestation?: Verdict; sbConnectionId?: string };

/** Takes a connection slot for a verified user: the new connection's id, or null when the user has too many. */
export type Admit = (identity: Identity) => Promise<string | null>;

const AUTH_MESSAGES: Record<UpgradeAuthFailure, string> = { missing: 'no token', invalid: 'invalid token', expired: 'token expired' };

/** 401 on the upgrade with why (header and JSON body), so a client knows whether a fresh token helps. */
function refuseUnauthorized(cb: (ok: boolean, code?: number, message?: string, headers?: Record<string, string>) => void, reason: UpgradeAuthFailure): void {
  const body = JSON.stringify({ error: { code: 'unauthorized', message: AUTH_MESSAGES[reason], reason } });
  cb(false, 401, body, { [UPGRADE_AUTH_HEADER]: reason, 'Content-Type': 'application/json' });
}

/**
 * Accepts an upgrade with its socket corked (ADR 0082): ws writes the 101 response and emits the
 * connection synchronously inside `accept`, and ClientGateway writes `hello` there too, so both
 * leave in one socket write instead of two (a syscall and a client wake-up less per connect).
 */
export function acceptCorked(socket: Pick<Socket, 'cork' | 'uncork'>, accept: () => void): void {
  corkedDuring(socket, accept);
}

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
    private readonly admit: Admit,
  ) {
    super(app);
  }

  override create(port: number, options: Record<string, unknown> = {}) {
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
          return refuseUnauthorized(cb, 'missing');
        }
        this.verifier.verify(token).then(
          async (identity) => {
            info.req.sbIdentity = identity;
            // Refusals close the socket right after the upgrade (4010–4012), so the client sees a reason.
            if (this.attestation.mode !== 'off') {
              const verdict = (info.req.sbAttestation = await this.attestation.cache.check(extractAttestationToken(info.req)));
              this.metrics.attestationChecks.inc({ mode: this.attestation.mode, result: verdict.result });
            }
            // One of the user's MAX_CONNECTIONS_PER_USER slots (all gateways), or 429.
            let connectionId: string | null;
            try {
              connectionId = await this.admit(identity);
            } catch {
              this.metrics.connects.inc({ result: 'error' });
              return cb(false, 503, 'Service Unavailable');
            }
            if (!connectionId) {
              this.metrics.connects.inc({ result: 'too_many' });
              return cb(false, 429, 'Too Many Requests');
            }
            info.req.sbConnectionId = connectionId;
            acceptCorked(info.req.socket, () => cb(true));
          },
          (err) => {
            this.metrics.connects.inc({ result: err instanceof AuthError || err instanceof joseErrors.JOSEError ? 'unauthorized' : 'error' });
            refuseUnauthorized(cb, err instanceof AuthError ? err.reason : 'invalid');
          },
        );
      },
    });
  }

  /** Frames are read by ClientGateway itself; Nest's {event,data} routing is not our protocol. */
  override bindMessageHandlers(_client: unknown, _handlers: MessageMappingProperties[], _transform: (data: unknown) => Observable<unknown>): void {}
}
