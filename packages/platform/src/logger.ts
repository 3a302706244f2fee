import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Always redacted: credentials never belong in logs. */
const SECRET_PATHS = [
  'token',
  '*.token',
  'secret',
  '*.secret',
  'password',
  '*.password',
  'apiKey',
  '*.apiKey',
  'credential',
  '*.credential',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'req.headers["sec-websocket-protocol"]',
  'headers.authorization',
];
/** Redacted in production: pairing codes grant a stranger the right to signal a peer. */
const PRODUCTION_PATHS = ['code', '*.code', 'pairCode', '*.pairCode', 'deadDrop', '*.deadDrop', 'publicKey', '*.publicKey'];

export interface LoggerOptions {
  service: string;
  level: string;
  nodeId: string;
  production: boolean;
}

export function createLogger(opts: LoggerOptions, destination?: DestinationStream): Logger {
  return pino(
    {
    level: opts.level,
    base: { service: opts.service, node: opts.nodeId },
    redact: { paths: opts.production ? [...SECRET_PATHS, ...PRODUCTION_PATHS] : SECRET_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
      // Every line written inside a traced operation carries its ids, so logs join traces.
      mixin: () => {
        const ctx = trace.getActiveSpan()?.spanContext();
        return ctx && isSpanContextValid(ctx) ? { traceId: ctx.traceId, spanId: ctx.spanId } : {};
      },
    },
    destination,
  );
}
