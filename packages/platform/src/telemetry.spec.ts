import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { currentTraceId, injectTraceContext, inSpan, startTelemetry, traceIdOf } from './telemetry.js';

describe('trace context without an OTLP endpoint (issue 15)', () => {
  it('is generated anyway: log lines inside a span carry its trace id, and traceparent propagates', async () => {
    const lines: string[] = [];
    const logger = createLogger({ service: 't', level: 'info', nodeId: 'n', production: false }, { write: (l: string) => void lines.push(l) });
    await startTelemetry('t', undefined, logger);
    const headers = new Map<string, string>();
    const traceId = await inSpan('handle test.verb', async () => {
      logger.error({ verb: 'test.verb' }, 'command failed');
      injectTraceContext({ set: (k, v) => headers.set(k, v), get: (k) => headers.get(k) });
      return currentTraceId();
    });
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.parse(lines[0])).toMatchObject({ verb: 'test.verb', traceId, spanId: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(headers.get('traceparent')).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-0[01]$`));
    expect(currentTraceId()).toBe('');
  });
});

describe('traceIdOf (the trace id of a command served without a span, ADR 0079)', () => {
  it('reads the trace id of a W3C traceparent, and nothing from a missing, malformed or all-zero one', () => {
    const id = '4bf92f3577b34da6a3ce929d0e0e4736';
    expect(traceIdOf(`00-${id}-00f067aa0ba902b7-01`)).toBe(id);
    expect(traceIdOf(undefined)).toBe('');
    expect(traceIdOf('')).toBe('');
    expect(traceIdOf(`00-${id.toUpperCase()}-00f067aa0ba902b7-01`)).toBe('');
    expect(traceIdOf(`00-${id.slice(1)}-00f067aa0ba902b7-01`)).toBe('');
    expect(traceIdOf(`00-${'0'.repeat(32)}-00f067aa0ba902b7-01`)).toBe('');
  });
});
