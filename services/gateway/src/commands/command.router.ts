import { Inject, Injectable } from '@nestjs/common';
import { CommandBus, CONFIG, inSpan, LOGGER, newId, type Logger } from '@switchboard/platform';
import { commandSpec, ProtocolError, type ErrorCode } from '@switchboard/protocol';
import type { GatewayConfig } from '../config.js';
import type { Connection } from '../connections/connection.js';
import { GatewayMetrics } from '../metrics/gateway.metrics.js';
import { decodeFrame, peekId, type ClientFrame, type FrameLimits } from './frame.codec.js';
import { LocalCommands } from './local.commands.js';
import { CommandHooks } from './command.hooks.js';

/**
 * Gateway verbs sent at per-frame rates whose work never leaves this process and never logs:
 * they run without a span (a trace with nothing to join; ADR 0057). Their failures are still
 * logged with a verb, request id and connection.
 */
const UNTRACED: ReadonlySet<string> = new Set(['signal', 'ping']);

/**
 * Turns one client frame into exactly one reply (when it has an id): size, rate, envelope
 * and schema checks, then the gateway's own verbs or a NATS request to the owning service.
 */
@Injectable()
export class CommandRouter {
  private readonly limits: FrameLimits;
  private interceptor?: (conn: Connection, raw: Buffer) => boolean;

  constructor(
    private readonly bus: CommandBus,
    private readonly local: LocalCommands,
    private readonly hooks: CommandHooks,
    private readonly metrics: GatewayMetrics,
    @Inject(CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.limits = { maxDepth: config.FRAME_MAX_DEPTH, maxNodes: config.FRAME_MAX_NODES };
  }

  /** Takes frames off the command path before the command rate limit (push-to-talk audio: its own budget). True: taken. */
  intercept(interceptor: (conn: Connection, raw: Buffer) => boolean): void {
    if (this.interceptor) throw new Error('a frame interceptor is already registered');
    this.interceptor = interceptor;
  }

  /**
   * One inbound frame. Its encoding is the connection's subprotocol, whatever the opcode:
   * MessagePack only on `switchboard.v1.msgpack` connections.
   */
  async route(conn: Connection, raw: Buffer): Promise<void> {
    await conn.ready;
    if (conn.closed) return; // frames queued behind hello of a socket that is already gone
    if (this.interceptor?.(conn, raw)) return;
    // Rate first: every later step (including reading an oversized frame's id) costs CPU.
    const retryAfterMs = conn.bucket.take();
    if (retryAfterMs > 0) {
      this.metrics.rateLimited.inc();
      if (++conn.violations >= this.config.RATE_MAX_VIOLATIONS) {
        conn.close(1008, 'rate limit exceeded', 'flooding');
        return;
      }
      return this.fail(conn, peekId(raw, conn.binary), new ProtocolError('rate_limited', 'too many messages', undefined, retryAfterMs));
    }
    conn.violations = 0;
    if (raw.length > this.config.MAX_FRAME_BYTES) {
      this.metrics.messagesIn.inc({ type: '(too_large)' });
      return this.fail(conn, peekId(raw, conn.binary), new ProtocolError('too_large', `frame exceeds ${this.config.MAX_FRAME_BYTES} bytes`));
    }
    const decoded = decodeFrame(raw, conn.binary, this.limits);
    if (!decoded.ok) {
      this.metrics.messagesIn.inc({ type: '(invalid)' });
      return this.fail(conn, decoded.id, new ProtocolError('bad_request', decoded.message));
    }
    const frame = decoded.frame;
    const spec = commandSpec(frame.type);
    this.metrics.messagesIn.inc({ type: spec ? frame.type : '(unknown)' });
    if (!spec) return this.fail(conn, frame.id, new ProtocolError('bad_request', `unknown type ${frame.type.slice(0, 64)}`));
    const parsed = spec.schema.safeParse(frame.data);
    if (!parsed.success) {
      const why = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || 'data'}: ${i.message}`);
      return this.fail(conn, frame.id, new ProtocolError('bad_request', why.join('; ')));
    }
    // Every error line of this command carries its verb, request id, connection and trace id.
    // The request id goes to services with forwarded commands, made when the request is sent:
    // a broadcast or typing the gateway answers itself (ADR 0062) needs one only for that line.
    const ids = { requestId: '', traceId: '' };
    try {
      const result = UNTRACED.has(frame.type) && spec.service === 'gateway'
        ? await this.local.run(conn, frame.type, parsed.data)
        : // A service verb this replica answers by itself (`@AnswerHere`: a vouched seat's broadcast) needs no span either: it logs
          // nothing and calls no other process (ADR 0100). Otherwise the trace of a client command starts here and follows it over NATS and gRPC.
          ((spec.service === 'gateway' ? undefined : this.hooks.answerHere(conn, frame.type, parsed.data)) ??
          (await inSpan(`ws ${frame.type}`, async (span) => {
            ids.traceId = span.spanContext().traceId;
            span.setAttribute('switchboard.connection', conn.id);
            return spec.service === 'gateway' ? this.local.run(conn, frame.type, parsed.data) : this.forward(conn, frame, spec.service, parsed.data, ids);
          })));
      if (frame.id !== undefined) this.reply(conn, frame.id, `${frame.type}.ok`, result ?? {});
    } catch (err) {
      // Typed refusals are answers, not failures; `internal` (here or relayed from a service) is.
      if (!(err instanceof ProtocolError) || err.code === 'internal') this.logger.error({ err, verb: frame.type, requestId: (ids.requestId ||= newId('q', 8)), connectionId: conn.id, traceId: ids.traceId }, 'command failed');
      this.fail(conn, frame.id, err instanceof ProtocolError ? err : new ProtocolError('internal', 'internal error'));
    }
  }

  private async forward(conn: Connection, frame: ClientFrame, service: string, data: unknown, ids: { requestId: string }): Promise<unknown> {
    const send = () => this.bus.requestAny(service, frame.type, conn.caller(), data, { requestId: (ids.requestId ||= newId('q', 8)) });
    return this.hooks.run(conn, frame.type, data, send);
  }

  private reply(conn: Connection, re: string, type: string, data: unknown) {
    if (conn.send({ re, type, data })) this.metrics.messagesOut.inc({ type });
  }

  fail(conn: Connection, re: string | undefined, err: ProtocolError): void {
    const code: ErrorCode = err.code;
    this.metrics.errors.inc({ code });
    const error: Record<string, unknown> = { code, message: err.message, ...(err.details ?? {}) };
    if (err.retryAfterMs) error.retryAfterMs = err.retryAfterMs;
    conn.send(re === undefined ? { type: 'error', error } : { re, type: 'error', error });
  }
}
