import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { COMMANDS, INTERNAL_COMMANDS, type ReplyOf, type RequestData, type ServedVerb, type ServiceName } from '@switchboard/protocol';
import type { Caller, CommandHandlers } from './nats.js';

/**
 * Behaviour is attached with method decorators (`@Command`, `@Every`, and the gateway's own)
 * and found once at start-up by `Wiring`, so what runs for a verb, an event or a timer is
 * written on the method that does it, and a second registration of the same thing fails the
 * boot instead of silently replacing the first (docs/decisions/0040).
 */

/** One decorated method found at start-up. */
export interface Wired<M> {
  meta: M;
  /** `Class.method`, for error messages and logs. */
  where: string;
  /** The method bound to its provider instance. */
  call: (...args: never[]) => unknown;
}

/** A marker kind: its metadata key and a name for messages. */
export interface Marker<M> {
  readonly key: symbol;
  readonly name: string;
  /** Phantom: the metadata type. */
  readonly _meta?: M;
}

export function marker<M>(name: string): Marker<M> {
  return { key: Symbol(name), name };
}

/** A method decorator that records `meta` under `marker` (a method may carry several). */
export function mark<M>(m: Marker<M>, meta: M): MethodDecorator {
  return (_target, _key, descriptor) => {
    const fn = descriptor.value as object;
    const list = (Reflect.getMetadata(m.key, fn) as M[] | undefined) ?? [];
    Reflect.defineMetadata(m.key, [...list, meta], fn);
  };
}

/** The marks of one kind on a method (empty when none). */
export function marksOf<M>(m: Marker<M>, fn: unknown): M[] {
  return typeof fn === 'function' ? ((Reflect.getMetadata(m.key, fn) as M[] | undefined) ?? []) : [];
}

/**
 * Indexes found methods by `keyOf`, refusing a key marked twice: the message names both
 * places, so the boot log says which two classes claim the same thing.
 */
export function uniqueBy<M>(found: Wired<M>[], keyOf: (meta: M) => string, what: string): Map<string, Wired<M>> {
  const out = new Map<string, Wired<M>>();
  for (const w of found) {
    const key = keyOf(w.meta);
    const first = out.get(key);
    if (first) throw new Error(`${what} ${key} is registered twice: ${first.where} and ${w.where}`);
    out.set(key, w);
  }
  return out;
}

/** Finds decorated methods on every provider and controller of the application. */
@Injectable()
export class Wiring {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  find<M>(m: Marker<M>): Wired<M>[] {
    const out: Wired<M>[] = [];
    const seen = new Set<object>();
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      // Factories, values and request-scoped providers have no class methods to scan.
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic() || seen.has(instance)) continue;
      seen.add(instance);
      const proto = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(proto)) {
        const fn = instance[method];
        for (const meta of marksOf(m, fn)) {
          out.push({ meta, where: `${instance.constructor.name}.${method}`, call: (fn as (...a: never[]) => unknown).bind(instance) });
        }
      }
    }
    return out;
  }

  /**
   * A service's command handlers from its `@Command` methods: each verb the service serves
   * (client and internal) exactly once, or the boot fails naming what is missing or doubled.
   */
  commands<S extends ServiceName>(service: S): CommandHandlers<S> {
    return Object.fromEntries(commandTable(service, this.find(COMMAND))) as unknown as CommandHandlers<S>;
  }

  /** The verbs of `service` marked `@Command(verb, { untraced: true })`: served without a span (CommandBus.serve). */
  untracedCommands(service: ServiceName): string[] {
    return this.find(COMMAND)
      .filter((w) => w.meta.service === service && w.meta.untraced)
      .map((w) => w.meta.verb);
  }
}

/** Options of one `@Command`. */
export interface CommandOptions {
  /**
   * Served without an OpenTelemetry span (hot verbs: chat.send, ADR 0079). The bus still logs
   * a failure with the caller's trace id, read from the request's traceparent header; log lines
   * written inside the handler carry none, and calls it makes start no child span.
   */
  untraced?: boolean;
}

/** `@Command` metadata: the verb and the service whose subject tree serves it. */
export interface CommandMark extends CommandOptions {
  service: ServiceName;
  verb: string;
}
export const COMMAND = marker<CommandMark>('command');

/** Every verb `service` serves: its client verbs and its internal ones. */
export function servedVerbs(service: ServiceName): string[] {
  const client = Object.entries(COMMANDS as Record<string, { service: string }>)
    .filter(([, spec]) => spec.service === service)
    .map(([verb]) => verb);
  return [...new Set([...client, ...Object.keys(INTERNAL_COMMANDS[service])])];
}

/** The verb → method table of one service, refusing doubles, strangers and gaps. */
export function commandTable(service: ServiceName, found: Wired<CommandMark>[]): Map<string, (...args: never[]) => unknown> {
  const mine = uniqueBy(
    found.filter((w) => w.meta.service === service),
    (m) => m.verb,
    `command ${service}`,
  );
  const served = servedVerbs(service);
  const missing = served.filter((v) => !mine.has(v));
  if (missing.length) throw new Error(`${service} serves ${missing.join(', ')} but no @Command method handles ${missing.length > 1 ? 'them' : 'it'}`);
  const table = new Map<string, (...args: never[]) => unknown>();
  for (const [verb, w] of mine) table.set(verb, w.call);
  return table;
}

/**
 * The `@Command` decorator of one service, typed: `@Command('chat.send')` accepts only a verb
 * the service serves, and only on a method taking that verb's request data and answering its
 * reply (`ctx` is the service's caller, or the gateway's connection).
 */
export function commandDecorator<S extends ServiceName, Ctx = Caller>(service: S): CommandDecorator<S, Ctx> {
  return (verb, opts = {}) => (target, key, descriptor) => {
    mark(COMMAND, { service, verb, ...(opts.untraced ? { untraced: true } : {}) })(target, key, descriptor as PropertyDescriptor);
  };
}

/** A method answering `V` for service `S`: request data and context in, reply out. */
export type CommandMethod<S extends ServiceName, V extends ServedVerb<S>, Ctx> = (data: RequestData<S, V>, ctx: Ctx) => Promise<ReplyOf<S, V>> | ReplyOf<S, V>;
export type CommandDecorator<S extends ServiceName, Ctx = Caller> = <V extends ServedVerb<S>>(
  verb: V,
  opts?: CommandOptions,
) => (target: object, key: string | symbol, descriptor: { value?: CommandMethod<S, V, Ctx> }) => void;

/** `@Every` metadata: a sweep's name (its log field and uniqueness key). */
export interface EveryMark {
  name: string;
}
export const EVERY = marker<EveryMark>('every');

/**
 * Runs the method on every Sweeper round (SWEEP_INTERVAL_MS), on every replica: the sweep
 * claims its work atomically, so running it everywhere is safe. Names are unique per service.
 */
export function Every(name: string) {
  return (target: object, key: string | symbol, descriptor: { value?: () => Promise<unknown> }): void => {
    mark(EVERY, { name })(target, key, descriptor as PropertyDescriptor);
  };
}
