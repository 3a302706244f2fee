import { z } from 'zod';

/** The demo server's environment (README "Configuration"); invalid values stop it at start. */
const Env = z.object({
  NODE_ENV: z.string().default('development'),
  LOG_LEVEL: z.string().default('info'),
  DEMO_HOST: z.string().default('127.0.0.1'),
  DEMO_PORT: z.coerce.number().int().min(0).max(65535).default(8090),
  /** WebSocket URLs of the gateways the pages connect to (comma-separated). */
  GATEWAY_URLS: z.string().default('ws://127.0.0.1:8080/ws,ws://127.0.0.1:8081/ws'),
  /** Where `/admin/v1/*` is forwarded: a gateway's HTTP base. The caller's own credentials go along. */
  ADMIN_API_URL: z.string().url().default('http://127.0.0.1:8080'),
  /** `on` mints client tokens for a display name at `POST /dev/token`; never in production. */
  DEMO_DEV_TOKENS: z.enum(['on', 'off']).default('on'),
  DEMO_DEV_TOKEN_TTL_S: z.coerce.number().int().min(60).max(86_400).default(3600),
  DEMO_DEV_TOKENS_PER_MIN: z.coerce.number().int().min(1).max(10_000).default(60),
  JWT_SECRET: z.string().min(1).optional(),
  DEMO_STATIC_DIR: z.string().optional(),
});

export type DemoConfig = {
  production: boolean;
  logLevel: string;
  host: string;
  port: number;
  servers: string[];
  adminApiUrl: string;
  /** Null when the dev token endpoint is off (production, DEMO_DEV_TOKENS=off, or no JWT_SECRET). */
  devTokens: { secret: string; ttlS: number; perMinute: number } | null;
  staticDir?: string;
};

export function loadConfig(env: Record<string, string | undefined>): DemoConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) throw new Error(`invalid demo server configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const servers = e.GATEWAY_URLS.split(',').map((s) => s.trim()).filter(Boolean);
  if (!servers.length || servers.some((s) => !/^wss?:\/\//.test(s))) throw new Error('invalid demo server configuration: GATEWAY_URLS must list ws:// or wss:// URLs');
  return {
    production,
    logLevel: e.LOG_LEVEL,
    host: e.DEMO_HOST,
    port: e.DEMO_PORT,
    servers,
    adminApiUrl: e.ADMIN_API_URL.replace(/\/+$/, ''),
    // Production never mints tokens for whoever asks, whatever else is set (ADR 0026).
    devTokens: !production && e.DEMO_DEV_TOKENS === 'on' && e.JWT_SECRET ? { secret: e.JWT_SECRET, ttlS: e.DEMO_DEV_TOKEN_TTL_S, perMinute: e.DEMO_DEV_TOKENS_PER_MIN } : null,
    staticDir: e.DEMO_STATIC_DIR,
  };
}
