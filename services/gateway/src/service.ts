import { AUDIT_STREAM, jetstreamMetrics, roomEventStreams, startService, type ServiceOptions } from '@switchboard/platform';
import { AppModule } from './app.module.js';
import { AttestationPolicyCache } from './attestation/policy.cache.js';
import { ServerRegistration } from './attestation/server.registration.js';
import { TokenVerifier } from './auth/token.verifier.js';
import { gatewayConfigSchema } from './config.js';
import { GatewayMetrics } from './metrics/gateway.metrics.js';
import { GatewayWsAdapter } from './ws/gateway-ws.adapter.js';
import { SessionService } from './session/session.service.js';
import { adminRouteTemplate, ProtocolErrorFilter } from './admin/http/protocol-error.filter.js';

/** Gateway definition, shared by main.ts and in-process integration tests. */
export const gatewayService = (env?: Record<string, string | undefined>): ServiceOptions<typeof gatewayConfigSchema> => {
  let accepting = true;
  return {
    service: 'gateway',
    configSchema: gatewayConfigSchema,
    env,
    redis: true,
    module: (p) => AppModule.register(p),
    httpRoute: adminRouteTemplate,
    // Stream gauges from the gateways (they read every room event shard and the audit stream; aggregate with max()).
    prepare: (p) => jetstreamMetrics(p.registry, p.nc, [...roomEventStreams(p.config.ROOM_EVENTS_STREAMS).map((s) => s.name), AUDIT_STREAM]),
    configure: (app, p) => {
      // Client addresses (per-address limits of the public routes) from X-Forwarded-For only behind known proxies.
      if (p.config.TRUST_PROXY_HOPS > 0) (app.getHttpAdapter().getInstance() as { set(k: string, v: unknown): void }).set('trust proxy', p.config.TRUST_PROXY_HOPS);
      app.useGlobalFilters(new ProtocolErrorFilter(p.logger));
      const session = app.get(SessionService);
      app.useWebSocketAdapter(
        new GatewayWsAdapter(
          app,
          app.get(TokenVerifier),
          app.get(GatewayMetrics),
          p.config.MAX_FRAME_BYTES * 4,
          () => accepting,
          { mode: p.config.ATTESTATION_MODE, cache: app.get(AttestationPolicyCache) },
          (identity) => session.admit(identity),
        ),
      );
    },
    beforeStop: async (app, p) => {
      accepting = false;
      await app.get(ServerRegistration).deregister();
      await app.get(SessionService).drain(p.config.DRAIN_GRACE_MS);
    },
  };
};

export const startGateway = (env?: Record<string, string | undefined>) => startService(gatewayService(env));
