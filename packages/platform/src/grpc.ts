import * as grpc from '@grpc/grpc-js';
import { health } from '@switchboard/proto';
import { isErrorCode, ProtocolError, type ErrorCode } from '@switchboard/protocol';
import type { Logger } from 'pino';
import type { GrpcCallRecorder } from './metrics.js';
import { toProtocolError } from './nats.js';
import { secretEquals } from './secrets.js';
import { extractTraceContext, injectTraceContext, inSpan, type Carrier } from './telemetry.js';

const metadataCarrier = (m: grpc.Metadata): Carrier => ({ set: (k, v) => m.set(k, v), get: (k) => m.get(k)[0] as string | undefined });

const { HealthCheckResponse_ServingStatus: Serving } = health;

/** Protocol error codes ↔ gRPC status codes; the exact code also rides in trailers. */
const STATUS_OF: Record<ErrorCode, grpc.status> = {
  bad_request: grpc.status.INVALID_ARGUMENT,
  too_large: grpc.status.INVALID_ARGUMENT,
  unauthorized: grpc.status.UNAUTHENTICATED,
  forbidden: grpc.status.PERMISSION_DENIED,
  not_found: grpc.status.NOT_FOUND,
  conflict: grpc.status.ALREADY_EXISTS,
  rate_limited: grpc.status.RESOURCE_EXHAUSTED,
  room_full: grpc.status.FAILED_PRECONDITION,
  floor_busy: grpc.status.FAILED_PRECONDITION,
  unavailable: grpc.status.UNAVAILABLE,
  internal: grpc.status.INTERNAL,
};

export function toGrpcError(err: unknown): Partial<grpc.ServiceError> {
  const pe = toProtocolError(err);
  const metadata = new grpc.Metadata();
  metadata.set('sb-error-code', pe.code);
  return { code: STATUS_OF[pe.code], details: pe.message, metadata };
}

export function fromGrpcError(err: grpc.ServiceError): ProtocolError {
  const code = err.metadata?.get('sb-error-code')[0];
  if (isErrorCode(code)) return new ProtocolError(code, err.details);
  if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED) return new ProtocolError('unavailable', err.details || 'service unavailable');
  return new ProtocolError('internal', 'internal error');
}

/** The service's methods as async functions (the index signature of UntypedServiceImplementation dropped). */
type AsyncImpl<S> = { [K in keyof S as string extends K ? never : K]: S[K] extends grpc.handleUnaryCall<infer Req, infer Res> ? (req: Req) => Promise<Res> : never };

/**
 * Adapts async methods to grpc-js unary handlers: ProtocolErrors become proper statuses,
 * anything else becomes INTERNAL without leaking its message.
 */
export function unaryHandlers<S extends grpc.UntypedServiceImplementation>(impl: AsyncImpl<S>, logger: Logger): S {
  const out: Record<string, grpc.handleUnaryCall<unknown, unknown>> = {};
  for (const [name, fn] of Object.entries(impl as Record<string, (req: unknown) => Promise<unknown>>)) {
    out[name] = (call, callback) => {
      inSpan(`grpc ${name}`, () => fn(call.request), extractTraceContext(metadataCarrier(call.metadata))).then(
        (res) => callback(null, res),
        (err) => {
          if (!(err instanceof ProtocolError)) logger.error({ err, method: name }, 'grpc handler failed');
          callback(toGrpcError(err));
        },
      );
    };
  }
  return out as S;
}

/** Metadata key of the shared-secret call credential (`authorization: Bearer <GRPC_AUTH_SECRET>`). */
const AUTH_METADATA = 'authorization';

/**
 * Server side of the shared-secret call credentials: every call on the port (the services and
 * grpc.health.v1 alike) must carry `authorization: Bearer <secret>`, or it ends with
 * UNAUTHENTICATED before any handler runs. The secret is compared in constant time.
 */
export function bearerAuthInterceptor(secret: string): grpc.ServerInterceptor {
  return (_method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, proceed) => {
            const header = metadata.get(AUTH_METADATA)[0];
            const presented = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
            if (presented !== undefined && secretEquals(presented, secret)) {
              metadata.remove(AUTH_METADATA);
              return proceed(metadata);
            }
            const refused = toGrpcError(new ProtocolError('unauthorized', 'missing or invalid gRPC credentials'));
            call.sendStatus({ code: refused.code!, details: refused.details!, metadata: refused.metadata! });
          },
        }),
    });
}

/** Client side: adds the shared-secret bearer to every call of a channel. */
export function bearerCallInterceptor(secret: string): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start: (metadata, listener, next) => {
        metadata.set(AUTH_METADATA, `Bearer ${secret}`);
        next(metadata, listener);
      },
    });
}

/** Records every call's status and duration (method = the full path, a bounded label). */
export function metricsInterceptor(metrics: GrpcCallRecorder): grpc.ServerInterceptor {
  return (method, call) => {
    const started = process.hrtime.bigint();
    return new grpc.ServerInterceptingCall(call, {
      sendStatus: (status, next) => {
        metrics.record(method.path, grpc.status[status.code] ?? String(status.code), Number(process.hrtime.bigint() - started) / 1e9);
        next(status);
      },
    });
  };
}

export interface GrpcServerHandle {
  server: grpc.Server;
  port: number;
  setServing(serving: boolean): void;
  stop(graceMs: number): Promise<void>;
}

/** Client side of metricsInterceptor: every call's status (as the caller saw it) and duration. */
export function clientMetricsInterceptor(metrics: GrpcCallRecorder): grpc.Interceptor {
  return (options, nextCall) => {
    const started = process.hrtime.bigint();
    return new grpc.InterceptingCall(nextCall(options), {
      start: (metadata, _listener, next) =>
        next(metadata, {
          onReceiveStatus: (status, nextStatus) => {
            metrics.record(options.method_definition.path, grpc.status[status.code] ?? String(status.code), Number(process.hrtime.bigint() - started) / 1e9);
            nextStatus(status);
          },
        }),
    });
  };
}

/** Starts a gRPC server with the standard grpc.health.v1 service alongside the given ones. */
export async function startGrpcServer(opts: {
  host?: string;
  port: number;
  /** Shared secret every call must present (GRPC_AUTH_SECRET). */
  authSecret: string;
  services: { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation; name: string }[];
  logger: Logger;
  /** Call metrics (switchboard_grpc_server_*); refused calls are counted too. */
  metrics?: GrpcCallRecorder;
}): Promise<GrpcServerHandle> {
  const interceptors = [...(opts.metrics ? [metricsInterceptor(opts.metrics)] : []), bearerAuthInterceptor(opts.authSecret)];
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024, interceptors });
  const names = new Set(['', ...opts.services.map((s) => s.name)]);
  let status: health.HealthCheckResponse_ServingStatus = Serving.SERVING;
  const watchers = new Set<grpc.ServerWritableStream<health.HealthCheckRequest, health.HealthCheckResponse>>();
  for (const s of opts.services) server.addService(s.definition, s.implementation);
  server.addService(health.HealthService, {
    check: (call: grpc.ServerUnaryCall<health.HealthCheckRequest, health.HealthCheckResponse>, cb: grpc.sendUnaryData<health.HealthCheckResponse>) => {
      if (!names.has(call.request.service)) return cb({ code: grpc.status.NOT_FOUND, details: 'unknown service' });
      cb(null, { status });
    },
    watch: (call: grpc.ServerWritableStream<health.HealthCheckRequest, health.HealthCheckResponse>) => {
      call.write({ status: names.has(call.request.service) ? status : Serving.SERVICE_UNKNOWN });
      watchers.add(call);
      call.on('cancelled', () => watchers.delete(call));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${opts.host ?? '0.0.0.0'}:${opts.port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  opts.logger.info({ port, host: opts.host ?? '0.0.0.0' }, 'grpc listening');
  return {
    server,
    port,
    setServing(serving) {
      status = serving ? Serving.SERVING : Serving.NOT_SERVING;
      for (const w of watchers) w.write({ status });
    },
    stop: (graceMs) =>
      new Promise<void>((resolve) => {
        for (const w of watchers) w.end();
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

type Unary<Req, Res> = (req: Req, metadata: grpc.Metadata, options: Partial<grpc.CallOptions>, cb: (err: grpc.ServiceError | null, res: Res) => void) => grpc.ClientUnaryCall;

/** Calls a unary method with a deadline; failures come back as ProtocolErrors. */
export function callUnary<Req, Res>(client: grpc.Client, method: Unary<Req, Res>, req: Req, deadlineMs: number): Promise<Res> {
  const metadata = new grpc.Metadata();
  injectTraceContext(metadataCarrier(metadata));
  return new Promise((resolve, reject) => {
    method.call(client, req, metadata, { deadline: Date.now() + deadlineMs }, (err, res) => (err ? reject(fromGrpcError(err)) : resolve(res)));
  });
}

/**
 * A client channel whose every call carries the shared secret (GRPC_AUTH_SECRET) as a bearer;
 * with `metrics` (grpcClientMetrics of the process registry) every call is counted and timed.
 */
export function grpcClient<C extends grpc.Client>(
  Ctor: new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => C,
  address: string,
  authSecret: string,
  metrics?: GrpcCallRecorder,
): C {
  const interceptors = [...(metrics ? [clientMetricsInterceptor(metrics)] : []), bearerCallInterceptor(authSecret)];
  return new Ctor(address, grpc.credentials.createInsecure(), { 'grpc.keepalive_time_ms': 30_000, interceptors });
}
