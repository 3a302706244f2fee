import { applyDecorators, Delete, Get, HttpCode, Post, SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { badRequest } from '@switchboard/protocol';
import type { Request } from 'express';
import { z } from 'zod';
import type { AuditAction } from '../audit/audit.schemas.js';

/** What the route table says about one admin endpoint; controllers, validation, audit and OpenAPI all read it. */
export interface AdminRouteDef<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  operationId: string;
  method: 'get' | 'post' | 'delete';
  /** Path under /admin/v1, OpenAPI style: `/rooms/{roomId}`. */
  path: string;
  tag: string;
  summary: string;
  params?: P;
  query?: Q;
  body?: B;
  /** A streamed, non-JSON request body the controller method reads itself (e.g. a binary upload). */
  rawBody?: { contentType: string; description: string };
  status: number;
  response: R;
  /** false: served without credentials (the OpenAPI document). */
  auth?: boolean;
  /** true: only API-key callers (an admin JWT cannot mint admin tokens). */
  apiKeyOnly?: boolean;
  /** Set on mutations: each call writes an audit entry with this action. */
  audit?: {
    action: AuditAction;
    /** What was acted on, from the parsed (or, when parsing failed, raw) params and body. */
    target: (input: { params: Record<string, unknown>; body: Record<string, unknown> }) => unknown;
    /** Safe details to keep (never secrets), from the parsed input and the result. */
    details?: (input: AdminInput<P, Q, B>, result: z.output<R> | undefined) => Record<string, unknown>;
  };
}

export interface AdminInput<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  params: z.output<P>;
  query: z.output<Q>;
  body: z.output<B>;
  /** Who called: `key:<first 4 chars>…` or `admin:<sub>`. */
  actor: string;
}

/** The parsed input of a route from the table. */
export type InputOf<T> = T extends AdminRouteDef<infer P, infer Q, infer B, z.ZodType> ? AdminInput<P, Q, B> : never;
/** The response a route promises. */
export type ResultOf<T> = T extends AdminRouteDef<z.ZodType, z.ZodType, z.ZodType, infer R> ? z.output<R> : never;

/** Identity with inference, so each table entry keeps its own schema types. */
export const route = <P extends z.ZodType = z.ZodObject, Q extends z.ZodType = z.ZodObject, B extends z.ZodType = z.ZodObject, R extends z.ZodType = z.ZodType>(def: AdminRouteDef<P, Q, B, R>) => def;

export const ADMIN_PREFIX = '/admin/v1';
const ROUTE_KEY = 'sb:admin-route';

export type AdminRequest = Request & { adminActor?: string; adminActorKind?: 'key' | 'token'; adminInput?: AdminInput };

export const routeOf = (method: object): AdminRouteDef | undefined => Reflect.getMetadata(ROUTE_KEY, method);

/** `/rooms/{roomId}` → `/rooms/:roomId`. */
export const nestPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

const METHOD = { get: Get, post: Post, delete: Delete };

/** Registers a controller method exactly as its table entry says (verb, path, status). */
export const AdminRoute = (def: AdminRouteDef) => applyDecorators(METHOD[def.method](nestPath(def.path)), HttpCode(def.status), SetMetadata(ROUTE_KEY, def));

/** The route's validated input (set by AdminInterceptor). */
export const Input = createParamDecorator((_: unknown, ctx: ExecutionContext) => ctx.switchToHttp().getRequest<AdminRequest>().adminInput);

export function parseOrBadRequest<S extends z.ZodType>(schema: S, value: unknown, where?: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw badRequest(parsed.error.issues.map((i) => `${[where, ...i.path].filter((x) => x !== undefined).join('.')}: ${i.message}`).join('; '));
  return parsed.data;
}

/** Validates params, query and body against the route's schemas; bad input → `bad_request`. */
export function parseInput(def: AdminRouteDef, req: AdminRequest): AdminInput {
  const empty = z.object({});
  return {
    params: parseOrBadRequest(def.params ?? empty, req.params ?? {}, 'path'),
    query: parseOrBadRequest(def.query ?? empty, req.query ?? {}, 'query'),
    body: def.body ? parseOrBadRequest(def.body, req.body ?? {}, 'body') : {},
    actor: req.adminActor ?? 'anonymous',
  };
}
