import { context, propagation, trace, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { Logger } from 'pino';

let shutdownSdk: (() => Promise<void>) | undefined;
/** The export-free provider registered when no OTLP endpoint is set (see startTelemetry). */
let localProvider: { shutdown(): Promise<void> } | undefined;

/**
 * Trace context is always generated, so every log line written inside a command carries a
 * trace id and traceparent headers cross NATS and gRPC; spans are exported only when an OTLP
 * endpoint is configured. Without one, a tracer provider with no span processor gives spans
 * real ids and records nothing.
 */
export async function startTelemetry(service: string, endpoint: string | undefined, logger: Logger): Promise<void> {
  if (shutdownSdk) return;
  if (!endpoint) {
    if (localProvider) return;
    // Never sampled: spans are non-recording (no attributes, no buffering, next to no cost)
    // but carry freshly generated trace and span ids, which is all logs and headers need.
    // The trace SDK alone: loading all of sdk-node (metrics, logs, exporters) for it was
    // ~0.04-0.12 CPU s of every start (issue 12, ADR 0101).
    const { NodeTracerProvider, AlwaysOffSampler } = await import('@opentelemetry/sdk-trace-node');
    const provider = new NodeTracerProvider({ sampler: new AlwaysOffSampler() });
    provider.register();
    localProvider = provider;
    return;
  }
  const otel = await import('@opentelemetry/sdk-node');
  if (localProvider) {
    // An in-process replica asked for export after another started without it (tests): the
    // SDK registers its own globals, which the API refuses while the local ones are set.
    trace.disable();
    propagation.disable();
    context.disable();
    await localProvider.shutdown();
    localProvider = undefined;
  }
  const sdk = new otel.NodeSDK({ serviceName: service, traceExporter: new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` }) });
  sdk.start();
  shutdownSdk = () => sdk.shutdown();
  logger.info({ endpoint }, 'opentelemetry tracing on');
}

export async function stopTelemetry(): Promise<void> {
  await shutdownSdk?.();
  shutdownSdk = undefined;
}

/** The current trace id ('' outside a span): for error envelopes and log fields. */
export function currentTraceId(): string {
  const ctx = trace.getActiveSpan()?.spanContext();
  return ctx && ctx.traceId !== '00000000000000000000000000000000' ? ctx.traceId : '';
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}/;
const NO_TRACE = '00000000000000000000000000000000';

/**
 * The trace id of a W3C `traceparent` header ('' when absent or malformed): what a command
 * served without a span (ADR 0079) logs, without building a context from the header.
 */
export function traceIdOf(traceparent: string | undefined): string {
  const m = traceparent ? TRACEPARENT.exec(traceparent) : null;
  return m && m[1] !== NO_TRACE ? m[1]! : '';
}

export const tracer = () => trace.getTracer('switchboard');

/** Header carrier shared by NATS headers and gRPC metadata. */
export interface Carrier {
  set(key: string, value: string): void;
  get(key: string): string | string[] | undefined;
}

export function injectTraceContext(carrier: Carrier): void {
  propagation.inject(context.active(), carrier, {
    set: (c, k, v) => c.set(k, v),
  });
}

export function extractTraceContext(carrier: Carrier) {
  return propagation.extract(context.active(), carrier, {
    get: (c, k) => c.get(k),
    keys: () => ['traceparent', 'tracestate'],
  });
}

/** Runs fn inside a span, recording failures, under an optional parent context. */
export async function inSpan<T>(name: string, fn: (span: Span) => Promise<T>, parent = context.active()): Promise<T> {
  return tracer().startActiveSpan(name, {}, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}
