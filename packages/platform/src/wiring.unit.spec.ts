import { Controller, Injectable, Module, type INestApplicationContext, type Type } from '@nestjs/common';
import { DiscoveryModule, NestFactory } from '@nestjs/core';
import type { CommandData } from '@switchboard/protocol';
import type { Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Caller } from './nats.js';
import { CONFIG, LOGGER } from './platform.js';
import { Sweeper } from './sweeper.js';
import { COMMAND, commandDecorator, commandTable, Every, mark, marker, servedVerbs, uniqueBy, Wiring } from './wiring.js';

const silent = { warn: () => undefined } as unknown as Logger;
const Command = commandDecorator('presence');
const caller = { userId: 'u1', connectionId: 'c1' } as Caller;

let app: INestApplicationContext | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** Boots a Nest application context holding `providers` (and `controllers`), as a service's root module would. */
async function boot(providers: Type[], controllers: Type[] = []): Promise<INestApplicationContext> {
  @Module({
    imports: [DiscoveryModule],
    controllers,
    providers: [Wiring, Sweeper, { provide: CONFIG, useValue: { SWEEP_INTERVAL_MS: 60_000 } }, { provide: LOGGER, useValue: silent }, ...providers],
  })
  class TestModule {}
  app = await NestFactory.createApplicationContext(TestModule, { logger: false, abortOnError: false });
  return app;
}

const TAG = marker<{ tag: string }>('tag');
const Tag = (tag: string): MethodDecorator => mark(TAG, { tag });

describe('Wiring (method decorators found through DiscoveryService)', () => {
  it('finds marked methods on providers and controllers, bound to their instance, and nothing unmarked', async () => {
    @Injectable()
    class Floor {
      readonly name = 'floor';
      @Tag('a')
      @Tag('b')
      both() {
        return this.name;
      }
      plain() {
        return 'unmarked';
      }
    }
    @Controller()
    class Hooks {
      readonly name = 'hooks';
      @Tag('c')
      private hidden() {
        return this.name;
      }
    }
    const wiring = (await boot([Floor], [Hooks])).get(Wiring);
    const found = wiring.find(TAG).map((w) => ({ tag: w.meta.tag, where: w.where, result: (w.call as () => string)() }));
    expect(found.sort((x, y) => x.tag.localeCompare(y.tag))).toEqual([
      { tag: 'a', where: 'Floor.both', result: 'floor' },
      { tag: 'b', where: 'Floor.both', result: 'floor' },
      { tag: 'c', where: 'Hooks.hidden', result: 'hooks' },
    ]);
  });

  it('refuses a key claimed twice, naming both methods', () => {
    const w = (tag: string, where: string) => ({ meta: { tag }, where, call: () => undefined });
    expect(uniqueBy([w('x', 'A.one'), w('y', 'B.two')], (m) => m.tag, 'tag').size).toBe(2);
    expect(() => uniqueBy([w('x', 'A.one'), w('y', 'B.two'), w('x', 'C.three')], (m) => m.tag, 'tag')).toThrow('tag x is registered twice: A.one and C.three');
  });
});

describe('@Every (sweeps)', () => {
  it('the Sweeper collects every @Every method at boot', async () => {
    @Injectable()
    class Timers {
      runs = 0;
      @Every('t1')
      async tick() {
        this.runs++;
      }
    }
    const ctx = await boot([Timers]);
    const sweeps = (ctx.get(Sweeper) as unknown as { sweeps: Map<string, () => Promise<unknown>> }).sweeps;
    expect([...sweeps.keys()]).toEqual(['t1']);
    await sweeps.get('t1')!();
    expect(ctx.get(Timers).runs).toBe(1);
  });

  it('fails the boot when two classes declare a sweep of the same name, naming both', async () => {
    @Injectable()
    class FloorTimers {
      @Every('expire')
      async expire() {}
    }
    @Injectable()
    class ChatTimers {
      @Every('expire')
      async typing() {}
    }
    await expect(boot([FloorTimers, ChatTimers])).rejects.toThrow('sweep expire is registered twice: FloorTimers.expire and ChatTimers.typing');
  });
});

describe('@Command (a service serves each of its verbs exactly once)', () => {
  /** Marks a method for every presence verb but `except`: what the root handler needs to boot. */
  const allPresenceVerbs = (except: string[] = []) => {
    @Injectable()
    class Everything {
      answer(data: unknown) {
        return { echoed: data };
      }
    }
    const desc = Object.getOwnPropertyDescriptor(Everything.prototype, 'answer')!;
    for (const verb of servedVerbs('presence').filter((v) => !except.includes(v))) mark(COMMAND, { service: 'presence', verb })(Everything.prototype, 'answer', desc);
    return Everything;
  };

  it('knows every verb a service serves, client and internal', () => {
    expect(servedVerbs('presence')).toEqual(expect.arrayContaining(['presence.set', 'relay.register', 'liveness.report']));
    expect(servedVerbs('presence')).not.toContain('room.join');
  });

  it('builds the verb table from the discovered methods, each bound to its instance', async () => {
    const wiring = (await boot([allPresenceVerbs()])).get(Wiring);
    const handlers = wiring.commands('presence') as unknown as Record<string, (data: unknown, caller: Caller) => unknown>;
    expect(Object.keys(handlers).sort()).toEqual(servedVerbs('presence').sort());
    expect(handlers['presence.set']!({ status: 'away' }, caller)).toEqual({ echoed: { status: 'away' } });
  });

  it('lists the verbs marked untraced (served without a span, ADR 0079), and only those', async () => {
    @Injectable()
    class Hot {
      @Command('presence.set', { untraced: true })
      set() {
        return {};
      }
      @Command('relay.list')
      list() {
        return { relays: [] };
      }
    }
    const wiring = (await boot([Hot])).get(Wiring);
    expect(wiring.untracedCommands('presence')).toEqual(['presence.set']);
    expect(wiring.untracedCommands('rooms')).toEqual([]);
  });

  it('refuses a verb with no method, naming it', async () => {
    const wiring = (await boot([allPresenceVerbs(['relay.list', 'presence.set'])])).get(Wiring);
    expect(() => wiring.commands('presence')).toThrow('presence serves presence.set, relay.list but no @Command method handles them');
  });

  it('refuses a verb claimed by two classes, naming both', async () => {
    @Injectable()
    class Reports {
      @Command('liveness.report')
      report() {
        return { ok: true } as never;
      }
    }
    @Injectable()
    class MoreReports {
      @Command('liveness.report')
      again() {
        return { ok: true } as never;
      }
    }
    const wiring = (await boot([allPresenceVerbs(['liveness.report']), Reports, MoreReports])).get(Wiring);
    expect(() => wiring.commands('presence')).toThrow('command presence liveness.report is registered twice: Reports.report and MoreReports.again');
  });

  it('types the method against the verb: another service\'s verb, other request data, a wrong reply or a wrong context does not compile', () => {
    class Typed {
      @Command('presence.set')
      fine(_data: CommandData<'presence.set'>, _caller: Caller) {
        return {};
      }
      // @ts-expect-error room.join is served by rooms, not presence
      @Command('room.join')
      notMine() {
        return {} as never;
      }
      // @ts-expect-error the data of relay.register is not presence.query's
      @Command('presence.query')
      otherData(_data: CommandData<'relay.register'>, _caller: Caller) {
        return { presence: {} };
      }
      // @ts-expect-error presence.query answers {presence}, not {users}
      @Command('presence.query')
      wrongReply(_data: CommandData<'presence.query'>, _caller: Caller) {
        return { users: [] };
      }
      // @ts-expect-error a service method gets the caller, not a string
      @Command('presence.subscribe')
      wrongContext(_data: CommandData<'presence.subscribe'>, _caller: string) {
        return { presence: {} };
      }
    }
    expect(Object.getOwnPropertyNames(Typed.prototype)).toHaveLength(6);
  });

  it("ignores other services' commands", () => {
    const other = { meta: { service: 'rooms' as const, verb: 'room.join' }, where: 'Rooms.join', call: () => undefined };
    expect(() => commandTable('presence', [other])).toThrow(/no @Command method/);
    expect(commandTable('attestation', [other]).size).toBe(0);
  });
});
