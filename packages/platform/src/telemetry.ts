import { context, propagation, trace, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { Logger } from 'pino';

let shutdownSdk: (() => Promise<void>) | undefined;

/**
 * Starts the OpenTelemetry SDK when an OTLP endpoint is configured; otherwise tracing stays
 * a no-op (the API is still called, so spans cost nothing when off).
 */
export async function startTelemetry(service: string, endpoint: string | undefined, logger: Logger): Promise<void> {
  if (!endpoint || shutdownSdk) return;
  const [{ NodeSDK }, { OTLPTraceExporter }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
  ]);
  const sdk = new NodeSDK({ serviceName: service, traceExporter: new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, '')}/v1/traces` }) });
  sdk.start();
  shutdownSdk = () => sdk.shutdown();
  logger.info({ endpoint }, 'opentelemetry tracing on');
}

export async function stopTelemetry(): Promise<void> {
  await shutdownSdk?.();
  shutdownSdk = undefined;
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
