import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { currentTraceId, injectTraceContext, inSpan, startTelemetry, stopTelemetry, traceIdOf } from './telemetry.js';

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

describe('trace export with an OTLP endpoint', () => {
  it('sends the spans to <endpoint>/v1/traces over OTLP/HTTP, a failed one with an error status, after a process started without export', async () => {
    // A real HTTP receiver on loopback standing in for the collector.
    const posts: { url: string; body: string }[] = [];
    const collector = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        posts.push({ url: req.url ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const lines: string[] = [];
    const logger = createLogger({ service: 't', level: 'info', nodeId: 'n', production: false }, { write: (l: string) => void lines.push(l) });
    try {
      // The local (export-free) provider first, as an in-process replica without an endpoint leaves it.
      await startTelemetry('t', undefined, logger);
      const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/`;
      await startTelemetry('t-export', endpoint, logger);
      await startTelemetry('t-export', endpoint, logger); // started once
      expect(lines.map((l) => JSON.parse(l) as { msg: string; endpoint?: string }).filter((l) => l.msg === 'opentelemetry tracing on')).toEqual([expect.objectContaining({ endpoint })]);
      const traceId = await inSpan('handle test.exported', async () => currentTraceId());
      await expect(inSpan('handle test.failed', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      await stopTelemetry(); // flushes the batch
      expect(posts.map((p) => p.url)).toContain('/v1/traces');
      type Span = { name: string; traceId: string; status?: { code?: number; message?: string } };
      const spans = posts.flatMap((p) => (JSON.parse(p.body) as { resourceSpans: { scopeSpans: { spans: Span[] }[] }[] }).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
      expect(spans.find((s) => s.name === 'handle test.exported')).toMatchObject({ traceId });
      expect(spans.find((s) => s.name === 'handle test.failed')?.status).toMatchObject({ code: 2, message: 'boom' });
      expect(posts[0].body).toContain('"t-export"'); // service.name
    } finally {
      await stopTelemetry();
      await new Promise((r) => collector.close(r));
    }
  });
});
