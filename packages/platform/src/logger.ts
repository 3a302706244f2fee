import { isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export const REDACTED = '[redacted]';

/**
 * Keys whose values are credentials, at any depth, in every environment: passwords, secrets,
 * tokens (JWTs, refresh and access tokens), API keys, cookies and the headers that carry them
 * (`authorization`, `cookie`, `set-cookie`, `x-api-key`, and `sec-websocket-protocol`, where
 * browsers put the JWT). Matched on the key's end, case-insensitively, so `jwtSecret`,
 * `NATS_PASSWORD`, `refresh_token` and `x-api-key` are all caught.
 */
const SECRET_KEY =
  /(pass|passwd|password|secret|token|api[_-]?key|credentials?|authorization|cookie|private[_-]?key|signing[_-]?key|sec-websocket-protocol)$/i;

/**
 * Redacted in production only (any depth): pairing codes grant a stranger the right to signal a
 * peer, dead drops and rendezvous material identify meeting points. Development logs keep them
 * so a developer can follow a pairing. `code`/`*.code` are paths only (top two levels): the
 * same key names error codes deeper down, which production logs must keep.
 */
const PRODUCTION_KEY = /^(pairCode|pairingCode|deadDrop|publicKey|nonce|challenge)$/i;
const PRODUCTION_PATHS = ['code', '*.code'];

/** `scheme://user:password@` anywhere in a string (connection URLs, error messages, stacks). */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/]*):([^\s@/]+)@/gi;

const MAX_DEPTH = 10;

export const redactUrlPasswords = (s: string) => s.replace(URL_PASSWORD, `$1$2:${REDACTED}@`);

/**
 * A copy of `value` with credentials censored: values of secret keys at any depth, and
 * passwords inside URLs in every string. Plain objects and arrays are copied (the caller's
 * object is never modified); anything deeper than MAX_DEPTH or cyclic is cut off.
 */
function scrub(value: unknown, secretKey: (k: string) => boolean, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return value.includes('://') ? redactUrlPasswords(value) : value;
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return scrubError(value, secretKey);
  if (seen.has(value) || depth >= MAX_DEPTH) return '[depth]';
  if (Array.isArray(value)) {
    seen.add(value);
    return value.map((v) => scrub(v, secretKey, depth + 1, seen));
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value; // Buffers, Dates, class instances: as pino prints them
  seen.add(value);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = secretKey(k) ? REDACTED : scrub(v, secretKey, depth + 1, seen);
  return out;
}

/** pino's error serializer (type, message, stack, cause, own fields), then scrubbed. */
function scrubError(err: Error, secretKey: (k: string) => boolean): unknown {
  return scrub({ ...stdSerializers.err(err) }, secretKey);
}

export interface LoggerOptions {
  service: string;
  level: string;
  nodeId: string;
  production: boolean;
}

export function createLogger(opts: LoggerOptions, destination?: DestinationStream): Logger {
  const secretKey = opts.production ? (k: string) => SECRET_KEY.test(k) || PRODUCTION_KEY.test(k) : (k: string) => SECRET_KEY.test(k);
  return pino(
    {
      level: opts.level,
      base: { service: opts.service, node: opts.nodeId },
      redact: opts.production ? { paths: PRODUCTION_PATHS, censor: REDACTED } : undefined,
      serializers: { err: (err: Error) => (err instanceof Error ? scrubError(err, secretKey) : scrub(err, secretKey)) },
      // Every merging object is scrubbed before it is written (the err key goes through the serializer).
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => scrub(obj, secretKey) as Record<string, unknown>,
      },
      // Message strings (and their interpolation arguments) may carry connection URLs too.
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => (typeof a === 'string' && a.includes('://') ? redactUrlPasswords(a) : a)) as Parameters<typeof method>);
        },
      },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Every line written inside a traced operation carries its ids, so logs join traces.
      mixin: () => {
        const ctx = trace.getActiveSpan()?.spanContext();
        return ctx && isSpanContextValid(ctx) ? { traceId: ctx.traceId, spanId: ctx.spanId } : {};
      },
    },
    destination,
  );
}
