import { z } from 'zod';
import { ADMIN_PREFIX, type AdminRouteDef } from '../http/route.js';

type JsonSchema = Record<string, unknown>;

const schemaOf = (s: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _, ...rest } = z.toJSONSchema(s, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

const ErrorBody = z.object({
  error: z.object({ code: z.string().describe('bad_request, unauthorized, forbidden, not_found, conflict, rate_limited, too_large, room_full, floor_busy, unavailable, internal'), message: z.string() }),
});

const ERRORS: Record<string, string> = {
  '400': 'bad_request: invalid path, query or body',
  '401': 'unauthorized: no valid API key or admin JWT',
  '403': 'forbidden: a client JWT (not an admin credential), or an admin JWT on an API-key-only route',
  '404': 'not_found',
  '413': 'too_large: the upload is over the size limit (nothing was stored)',
  '500': 'internal',
  '503': 'unavailable: a service did not answer in time',
};

// One line per route tag (redocly `tag-description`); a new tag needs its line here.
const TAG_DESCRIPTIONS: Record<string, string> = {
  rooms: 'Rooms: list, inspect, close, moderate participants.',
  users: 'Users: sessions across rooms, disconnect, ban.',
  calls: 'Calls: active and past calls with their participants.',
  attachments: 'Chat attachments in object storage.',
  emoji: 'Custom emoji of rooms (images in object storage).',
  sfu: 'LiveKit SFU rooms and participants (mute, remove).',
  tokens: 'Client JWTs, admin JWTs and build tokens.',
  attestation: 'Client attestation: policies and reference builds.',
  servers: 'The signed server registry.',
  audit: 'The audit log of every admin mutation.',
  meta: 'This document.',
};

function parameters(def: AdminRouteDef): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const [where, schema] of [['path', def.params], ['query', def.query]] as const) {
    if (!schema) continue;
    const json = schemaOf(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, s] of Object.entries(json.properties ?? {})) {
      out.push({ name, in: where, required: where === 'path' || (json.required ?? []).includes(name), schema: s });
    }
  }
  return out;
}

function operation(def: AdminRouteDef): JsonSchema {
  const errors = Object.keys(ERRORS).filter((s) => (s === '401' || s === '403' ? def.auth !== false : s === '404' ? !!def.params : s === '413' ? !!def.rawBody : s === '400' ? !!(def.params || def.query || def.body || def.rawBody) : def.auth !== false));
  return {
    operationId: def.operationId,
    summary: def.summary,
    tags: [def.tag],
    ...(def.audit ? { description: `Mutation: writes an audit entry with action \`${def.audit.action}\`.`, 'x-audit-action': def.audit.action } : {}),
    parameters: parameters(def),
    ...(def.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(def.body, 'input') } } } } : {}),
    ...(def.rawBody ? { requestBody: { required: true, description: def.rawBody.description, content: { [def.rawBody.contentType]: { schema: { type: 'string', format: 'binary' } } } } } : {}),
    responses: {
      [String(def.status)]: { description: 'success', content: { 'application/json': { schema: schemaOf(def.response, 'output') } } },
      ...Object.fromEntries(errors.map((s) => [s, { $ref: `#/components/responses/E${s}` }])),
    },
    security: def.auth === false ? [] : [{ apiKey: [] }, { bearer: [] }],
  };
}

/** The OpenAPI 3.1 document of the admin API, generated from the route table. */
export function buildOpenApi(routes: readonly AdminRouteDef[], version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const def of routes) (paths[ADMIN_PREFIX + def.path] ??= {})[def.method] = operation(def);
  return {
    openapi: '3.1.0',
    info: { title: 'Switchboard admin API', version, description: 'Manage rooms, users, tokens, attestation and the server registry; every mutation is written to the audit log.' },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    // Paths carry the /admin/v1 prefix, so the server is the gateway that served this document.
    servers: [{ url: '/', description: 'The gateway this document was fetched from' }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name, description: TAG_DESCRIPTIONS[name] ?? '' })),
    paths,
    components: {
      schemas: { Error: schemaOf(ErrorBody, 'output') },
      responses: Object.fromEntries(Object.entries(ERRORS).map(([s, description]) => [`E${s}`, { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }])),
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'An admin API key (ADMIN_API_KEYS); also accepted as `Authorization: Bearer <key>`.' },
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An admin JWT (POST /admin/v1/admin-tokens; audience `switchboard-admin`, revocable), or an admin API key. Client JWTs are never admin credentials.' },
      },
    },
  };
}
