import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Stack, testEnv, uid, until } from '@switchboard/testing/stack';

interface CollectedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
}

/** A minimal OTLP/HTTP (JSON) trace collector on loopback. */
function collector(spans: CollectedSpan[]): Server {
  return createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.url === '/v1/traces' && req.headers['content-type']?.includes('json')) {
        for (const rs of JSON.parse(body).resourceSpans ?? []) {
          const service = rs.resource?.attributes?.find((a: { key: string }) => a.key === 'service.name')?.value?.stringValue;
          for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) spans.push({ service, name: s.name, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined });
        }
      }
      res.statusCode = 200;
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
}

/** Issue 2: OpenTelemetry start-up is configurable, and one client command is one trace across processes. */
describe('OpenTelemetry tracing', () => {
  const stack = new Stack();
  const spans: CollectedSpan[] = [];
  const server = collector(spans);
  let endpoint = '';

  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await stack.stop();
    await new Promise((r) => server.close(r));
  });

  it('follows a client command from the gateway over NATS into the rooms service', async () => {
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' };
    await stack.process('rooms', testEnv(otel));
    const gw = await stack.process('gateway', testEnv(otel));
    const client = await stack.client(gw, uid('traced'));
    await client.request('room.create', { name: 'traced', kind: 'group', joinPolicy: 'open' });

    const handled = await until(() => spans.find((s) => s.service === 'rooms' && s.name === 'handle room.create'), 'the rooms span', 15_000);
    const request = await until(() => spans.find((s) => s.spanId === handled.parentSpanId), 'its parent span', 15_000);
    expect(request).toMatchObject({ service: 'gateway', name: 'nats.request room.create', traceId: handled.traceId });
    const root = await until(() => spans.find((s) => s.spanId === request.parentSpanId), 'the root span', 15_000);
    expect(root).toMatchObject({ service: 'gateway', name: 'ws room.create', traceId: handled.traceId, parentSpanId: undefined });
  });
});
