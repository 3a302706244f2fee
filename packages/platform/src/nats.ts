import { connect, headers as natsHeaders, RequestError, TimeoutError, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { bus } from '@switchboard/proto';
import {
  checkEvent,
  checkReply,
  CONNECTION_PROBE_EVENT,
  ContractError,
  contractChecksEnabled,
  eventSpec,
  isErrorCode,
  ProtocolError,
  queueGroup,
  servedSpec,
  subjects,
  type EventFamily,
  type ReplyOf,
  type RequestData,
  type RequestInput,
  type ServedVerb,
  type ServiceName,
} from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { isDatabaseUnavailable } from './db-errors.js';
import type { NatsMetrics } from './metrics.js';
import { natsInboxPrefix } from './nats-permissions.js';
import { requestsResolveWithoutError } from './nats-requests.js';
import { writePerTurn, type NatsWrites } from './nats-writes.js';
import { extractTraceContext, injectTraceContext, inSpan, traceIdOf } from './telemetry.js';
import type { StreamAcks } from './stream-acks.js';

export type { NatsConnection, Subscription, Msg } from '@nats-io/transport-node';
export { RequestError } from '@nats-io/transport-node';
export type Caller = bus.Caller;

/** A service itself as the caller of an internal request (no user, connection or session behind it). */
export const serviceCaller = (name: string, nodeId: string): Caller => ({ userId: '', connectionId: '', sessionId: '', nodeId, name, device: '', roles: [] });

/**
 * Connects as `auth.user` (its subject permissions: nats-permissions.ts); replies to this
 * connection's requests arrive on the user's own inbox prefix, the only inbox it may read.
 */
export async function connectNats(url: string, name: string, logger: Logger, auth?: { user: string; password?: string }, writes: NatsWrites = 'turn'): Promise<NatsConnection> {
  const nc = await connect({
    servers: url.split(','),
    name,
    ...(auth?.password ? { user: auth.user, pass: auth.password } : {}),
    ...(auth ? { inboxPrefix: natsInboxPrefix(auth.user) } : {}),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    pingInterval: 10_000,
    // nats.js otherwise builds two Errors with stack traces per request just in case; our bus
    // turns every NATS failure into a typed ProtocolError, so those stacks are never read.
    noAsyncTraces: true,
  });
  // One socket write per event-loop turn, not per microtask (ADR 0082).
  if (writes === 'turn' && !writePerTurn(nc)) logger.warn('nats.js internals changed: NATS writes stay per microtask');
  // No Error built per successful request (ADR 0088).
  if (!requestsResolveWithoutError(nc)) logger.warn('nats.js internals changed: each request still builds a RequestError');
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect') logger.warn({ nats: s.type }, 'nats status');
      // A permission violation is a bug in nats-permissions.ts or an attempt outside the role: loud.
      if (s.type === 'error') logger.error({ nats: s.type, err: s.error }, 'nats error');
    }
  })();
  logger.info({ server: nc.getServer() }, 'nats connected');
  return nc;
}

const carrierOf = (h: MsgHdrs) => ({ set: (k: string, v: string) => h.set(k, v), get: (k: string) => (h.has(k) ? h.get(k) : undefined) });

const EMPTY = Buffer.alloc(0);
/** NATS's default max_payload (1 MiB), when the server did not say. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
/** Room left in max_payload for the subject and headers of a reply. */
const REPLY_HEADROOM = 4096;
export const encodeJson = (value: unknown): Buffer => (value === undefined ? EMPTY : Buffer.from(JSON.stringify(value)));
export const decodeJson = <T = unknown>(bytes: Uint8Array | undefined): T | undefined =>
  bytes && bytes.length ? (JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as T) : undefined;

export type NatsFailure = 'timeout' | 'no_responders' | 'max_payload' | 'nats_error';

/** Why NATS gave no reply to a request (the `outcome` label of switchboard_nats_request_duration_seconds). */
export function natsFailure(err: unknown): NatsFailure {
  if (err instanceof RequestError && err.isNoResponders()) return 'no_responders';
  if (err instanceof TimeoutError || (err instanceof RequestError && err.cause instanceof TimeoutError)) return 'timeout';
  if (/max.?payload/i.test((err as Error)?.message ?? '')) return 'max_payload';
  return 'nats_error';
}

/** Turns an unknown failure into a protocol error, never leaking internals to clients. */
export function toProtocolError(err: unknown): ProtocolError {
  if (err instanceof ProtocolError) return err;
  if (isDatabaseUnavailable(err)) return new ProtocolError('unavailable', 'database unavailable, retry later');
  return new ProtocolError('internal', 'internal error');
}

/** A handler of verbs outside the protocol registry (tests of the bus itself). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- bus tests serve verbs outside the registry
export type CommandHandler = (data: any, caller: Caller, verb: string) => unknown;

/** One served verb's handler: typed request data in, typed reply out. */
export type VerbHandler<S extends ServiceName, V extends ServedVerb<S>> = (data: RequestData<S, V>, caller: Caller, verb: V) => ReplyOf<S, V> | Promise<ReplyOf<S, V>>;
/** Every verb a service serves, each with its handler: a verb added to the registry and not handled fails to compile. */
export type CommandHandlers<S extends ServiceName> = { [V in ServedVerb<S>]: VerbHandler<S, V> };

export interface ServeOptions {
  /**
   * Verbs served without an OpenTelemetry span (ADR 0079): no context extracted, no span started
   * or ended per request. A failure's log line still names the caller's trace (`traceIdOf` the
   * request's traceparent header).
   */
  untraced?: Iterable<string>;
}

/** How one subscription serves its verbs. */
interface Served {
  handlers: Record<string, CommandHandler>;
  validators: Map<string, z.ZodType>;
  untraced: Set<string>;
  checkResult?: (verb: string, result: unknown) => void;
}

export interface EventInput {
  type: string;
  roomId?: string;
  seq?: number;
  data?: unknown;
  excludeConnectionId?: string;
  onlyConnectionIds?: string[];
  ts?: number;
  /** Binary body beside `data` (bus.v1.Event `payload`): clients see it as `data.data` (MessagePack bin, or base64 in JSON). */
  payload?: Uint8Array;
}

/** Read once: `process.env` is a slow getter, and encodeEvent runs for every event published. */
const CONTRACT_CHECKS = contractChecksEnabled();

/** Event types that are control messages between services, never shown to a client (no entry in EVENTS). */
const CONTROL_EVENTS = new Set([CONNECTION_PROBE_EVENT]);

/**
 * Encodes a bus event. Its control fields (who leaves a room) come from the event's entry in
 * the protocol's EVENTS map, so no consumer parses `data` for them. In development and tests
 * the data is checked against its schema first (and the family, when the subject is known).
 */
export function encodeEvent(e: EventInput, family?: EventFamily | 'system'): Uint8Array {
  const spec = eventSpec(e.type);
  // System notices (`sb.sys.*`) have their own schemas (system-events.ts); client events are checked here.
  if (family !== 'system' && CONTRACT_CHECKS && !CONTROL_EVENTS.has(e.type)) checkEvent(e.type, e.payload ? { ...(e.data as object), data: e.payload } : (e.data ?? {}), family);
  const control = spec?.control?.((e.data ?? {}) as never) ?? {};
  return bus.Event.encode({
    type: e.type,
    roomId: e.roomId ?? '',
    seq: e.seq ?? 0,
    ts: e.ts ?? Date.now(),
    data: encodeJson(e.data ?? {}),
    excludeConnectionId: e.excludeConnectionId ?? '',
    onlyConnectionIds: e.onlyConnectionIds ?? [],
    leaveConnectionId: control.leaveConnectionId ?? '',
    leaveUserId: control.leaveUserId ?? '',
    roomClosed: control.roomClosed ?? false,
    payload: e.payload ? Buffer.from(e.payload.buffer, e.payload.byteOffset, e.payload.byteLength) : EMPTY,
  }).finish();
}

/** The family of an `sb.evt.<family>.<id>` subject, or `system` for `sb.sys.*` notices. */
const familyOf = (subject: string): EventFamily | 'system' | undefined => {
  if (subject.startsWith('sb.sys.')) return 'system';
  const m = /^sb\.evt\.(room|live|user|conn|presence)\./.exec(subject);
  return m ? (m[1] as EventFamily) : undefined;
};

/**
 * Commands (request/reply with a queue group per service) and events over NATS.
 * Every message is a bus.v1 envelope; bodies are the protocol's JSON.
 */
export class CommandBus {
  constructor(
    readonly nc: NatsConnection,
    private readonly metrics: NatsMetrics,
    private readonly logger: Logger,
    private readonly timeoutMs: number,
  ) {}

  /** Sends a command of the protocol registry and resolves with its typed reply, or rejects with a ProtocolError. */
  request<S extends ServiceName, V extends ServedVerb<S>>(service: S, verb: V, caller: Caller, data: RequestInput<S, V>, opts: { timeoutMs?: number; requestId?: string } = {}): Promise<ReplyOf<S, V>> {
    return this.requestAny(service, verb, caller, data, opts) as Promise<ReplyOf<S, V>>;
  }

  /** Sends a command named at run time (the gateway forwarding a client frame): the reply is unknown. */
  async requestAny(service: string, verb: string, caller: Caller, data: unknown, opts: { timeoutMs?: number; requestId?: string } = {}): Promise<unknown> {
    const started = process.hrtime.bigint();
    let outcome = 'ok';
    let transport: NatsFailure | undefined;
    try {
      return await inSpan(`nats.request ${verb}`, async () => {
        const h = natsHeaders();
        if (opts.requestId) h.set('sb-request-id', opts.requestId);
        injectTraceContext(carrierOf(h));
        const payload = bus.Command.encode({ verb, caller, data: encodeJson(data) }).finish();
        let msg: Msg;
        try {
          msg = await this.nc.request(subjects.command(service, verb), payload, { timeout: opts.timeoutMs ?? this.timeoutMs, headers: h });
        } catch (err) {
          // Clients see `unavailable` for all of these; the metric and the log say which.
          transport = natsFailure(err);
          // debug: a service outage would otherwise log once per request; the metric counts them.
          this.logger.debug({ verb, service, requestId: opts.requestId, failure: transport, err: (err as Error).message }, 'nats request failed');
          if (transport === 'no_responders') throw new ProtocolError('unavailable', `${service} service is unavailable`);
          if (transport === 'timeout') throw new ProtocolError('unavailable', `${service} service did not answer in time`);
          throw new ProtocolError('unavailable', `${service} service is unreachable`);
        }
        const reply = bus.CommandReply.decode(msg.data);
        if (reply.error) {
          const e = reply.error;
          throw new ProtocolError(isErrorCode(e.code) ? e.code : 'internal', e.message, decodeJson(e.details), e.retryAfterMs || undefined);
        }
        return decodeJson(reply.data);
      });
    } catch (err) {
      outcome = transport ?? (err instanceof ProtocolError ? err.code : 'internal');
      throw err;
    } finally {
      this.metrics.requestDuration.observe({ service, verb, outcome }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /**
   * Serves `sb.cmd.<service>.<verb>` for every verb the service owns in the protocol registry
   * (client and internal verbs), as one queue-group member. Request data is validated against
   * the verb's schema before the handler runs; in development and tests the reply is checked
   * against its reply schema too, and a drift answers `internal` (and fails the test).
   */
  serve<S extends ServiceName>(service: S, handlers: CommandHandlers<S>, opts: ServeOptions = {}): Subscription {
    const validators = new Map<string, z.ZodType>();
    for (const verb of Object.keys(handlers)) {
      const spec = servedSpec(service, verb);
      if (!spec) throw new Error(`no schema for command ${service}.${verb}`);
      validators.set(verb, spec.schema);
    }
    const checked = contractChecksEnabled();
    return this.subscribeCommands(service, {
      handlers: handlers as unknown as Record<string, CommandHandler>,
      validators,
      untraced: new Set(opts.untraced),
      checkResult: checked ? (verb, result) => checkReply(service, verb, result) : undefined,
    });
  }

  /** Serves verbs outside the registry with their own schemas (tests of the bus itself); `replies` are checked like registry replies. */
  serveAny(service: string, handlers: Record<string, CommandHandler>, schemas: Record<string, z.ZodType>, replies: Record<string, z.ZodType> = {}, opts: ServeOptions = {}): Subscription {
    const validators = new Map<string, z.ZodType>();
    for (const verb of Object.keys(handlers)) {
      const schema = schemas[verb];
      if (!schema) throw new Error(`no schema for command ${service}.${verb}`);
      validators.set(verb, schema);
    }
    const check = (verb: string, result: unknown) => {
      const parsed = replies[verb]?.safeParse(result);
      if (parsed && !parsed.success) throw new ContractError(`reply of ${service}.${verb}`, parsed.error.issues.map((i) => `${i.path.join('.') || 'data'}: ${i.message}`));
    };
    return this.subscribeCommands(service, { handlers, validators, untraced: new Set(opts.untraced), checkResult: contractChecksEnabled() ? check : undefined });
  }

  private subscribeCommands(service: string, served: Served): Subscription {
    const prefix = `sb.cmd.${service}.`;
    return this.nc.subscribe(`${prefix}>`, {
      queue: queueGroup(service),
      callback: (err, msg) => {
        if (err) return this.logger.error({ err }, 'command subscription error');
        void this.handle(msg, msg.subject.slice(prefix.length), served);
      },
    });
  }

  private async handle(msg: Msg, verb: string, { handlers, validators, untraced, checkResult }: Served) {
    const started = process.hrtime.bigint();
    const requestId = msg.headers?.get('sb-request-id') || undefined;
    let outcome = 'ok';
    let reply: bus.CommandReply;
    // For the error line: which connection asked, and the trace the command ran in.
    let cmdConn: string | undefined;
    let traceId = '';
    try {
      const handler = handlers[verb];
      if (!handler) throw new ProtocolError('bad_request', `unknown command ${verb}`);
      let cmd: bus.Command;
      try {
        cmd = bus.Command.decode(msg.data);
      } catch {
        // A malformed envelope is the sender's fault: typed, and no error-level stack per message.
        throw new ProtocolError('bad_request', 'malformed command envelope');
      }
      if (!cmd.caller) throw new ProtocolError('bad_request', 'command without caller');
      cmdConn = cmd.caller.connectionId;
      let raw: unknown;
      try {
        raw = decodeJson(cmd.data);
      } catch {
        throw new ProtocolError('bad_request', 'data is not valid JSON');
      }
      const parsed = validators.get(verb)!.safeParse(raw);
      if (!parsed.success) throw new ProtocolError('bad_request', parsed.error.issues.map((i) => `${i.path.join('.') || 'data'}: ${i.message}`).join('; '));
      let result: unknown;
      if (untraced.has(verb)) {
        // No span on this hot verb (ADR 0079); the error line below still names the caller's trace.
        traceId = traceIdOf(msg.headers?.get('traceparent'));
        result = await handler(parsed.data, cmd.caller, verb);
      } else {
        const parent = msg.headers ? extractTraceContext(carrierOf(msg.headers)) : undefined;
        result = await inSpan(
          `handle ${verb}`,
          async (span) => {
            traceId = span.spanContext().traceId;
            return handler(parsed.data, cmd.caller!, verb);
          },
          parent,
        );
      }
      // A ContractError is not a ProtocolError: logged loudly and answered `internal`.
      checkResult?.(verb, result ?? {});
      reply = { data: encodeJson(result ?? {}) };
    } catch (err) {
      const pe = toProtocolError(err);
      if (pe.code === 'internal') this.logger.error({ err, verb, requestId, connectionId: cmdConn, traceId }, 'command failed');
      else if (pe !== err && pe.code === 'unavailable') this.logger.warn({ err, verb, requestId, connectionId: cmdConn, traceId }, 'command failed: dependency unavailable');
      outcome = pe.code;
      reply = { data: EMPTY, error: { code: pe.code, message: pe.message, retryAfterMs: pe.retryAfterMs ?? 0, details: encodeJson(pe.details) } };
    }
    let encoded = bus.CommandReply.encode(reply).finish();
    // A reply over the server's max_payload would be refused by NATS and the caller would wait
    // for a timeout: it becomes a typed too_large instead (handlers page by byte budgets, so
    // this is a bug worth a warning, with the verb).
    const limit = this.maxReplyBytes();
    if (encoded.length > limit) {
      this.logger.warn({ verb, requestId, bytes: encoded.length, limit }, 'reply too large for NATS; answered too_large');
      outcome = 'too_large';
      encoded = bus.CommandReply.encode({ data: EMPTY, error: { code: 'too_large', message: `the reply to ${verb} is too large; ask for a smaller page`, retryAfterMs: 0, details: EMPTY } }).finish();
    }
    this.metrics.commandsHandled.inc({ verb, outcome });
    this.metrics.commandDuration.observe({ verb }, Number(process.hrtime.bigint() - started) / 1e9);
    if (!msg.reply) return;
    try {
      msg.respond(encoded);
    } catch (err) {
      this.logger.error({ err, verb, requestId }, 'reply could not be sent');
    }
  }

  /** The largest reply the server takes (its max_payload, less room for the reply's headers). */
  private maxReplyBytes(): number {
    return (this.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD) - REPLY_HEADROOM;
  }

  /**
   * Whether a client connection is still open on some gateway: a `session.probe` request to its
   * subject. No responders (nobody holds it), a refusal, or no answer within `timeoutMs` (its
   * gateway is stuck or cut off, so it cannot serve the connection either) all mean gone.
   */
  async connectionAlive(connectionId: string, timeoutMs: number): Promise<boolean> {
    try {
      const reply = await this.nc.request(subjects.conn(connectionId), encodeEvent({ type: CONNECTION_PROBE_EVENT }), { timeout: timeoutMs });
      return reply.string() === 'ok';
    } catch {
      return false;
    }
  }

  publish(subject: string, event: EventInput): void {
    this.nc.publish(subject, encodeEvent(event, familyOf(subject)));
    this.metrics.eventsPublished.inc({ type: event.type });
  }

  /**
   * Publishes an event a JetStream stream captures and resolves once the stream holds it
   * (StreamAcks: reply-subject acks, bounded window); `unavailable` when it never does.
   */
  async publishToStream(subject: string, event: EventInput, acks: StreamAcks): Promise<void> {
    const stored = acks.publish(subject, encodeEvent(event, familyOf(subject)));
    this.metrics.eventsPublished.inc({ type: event.type });
    try {
      await stored;
    } catch (err) {
      this.logger.warn({ subject, err: (err as Error).message }, 'room event not acknowledged by its stream');
      throw new ProtocolError('unavailable', 'the room event stream did not acknowledge the event; retry later');
    }
  }
}
