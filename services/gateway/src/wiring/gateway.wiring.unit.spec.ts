import { Injectable, Module, type INestApplicationContext, type Type } from '@nestjs/common';
import { DiscoveryModule, NestFactory } from '@nestjs/core';
import { COMMAND, CommandBus, CONFIG, Every, LOGGER, mark, NATS, servedVerbs, Wiring } from '@switchboard/platform';
import { subjects, type CommandData, type JoinReply, type Reply } from '@switchboard/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { CommandHooks } from '../commands/command.hooks.js';
import { CommandRouter } from '../commands/command.router.js';
import { LocalCommands } from '../commands/local.commands.js';
import type { Connection, DeliveredEvent } from '../connections/connection.js';
import { ConnectionRegistry } from '../connections/connection.registry.js';
import { GatewayMetrics } from '../metrics/gateway.metrics.js';
import { EventDelivery } from '../routing/event.delivery.js';
import { Subscriptions } from '../routing/subscriptions.js';
import { connection, FakeNats, gatewayConfig, metrics, silentLogger } from '../testing/fakes.test.js';
import { BeforeForward, Command, InterceptEvent, InterceptFrames, OnConnectionClosed, OnEvent, OnRoomLeft } from './decorators.js';
import { GatewayWiring } from './gateway.wiring.js';

/** Answers every gateway verb but `except` (marked by hand: what a booting gateway needs). */
const gatewayVerbs = (except: string[] = []) => {
  @Injectable()
  class AllVerbs {
    answer() {
      return {};
    }
  }
  const desc = Object.getOwnPropertyDescriptor(AllVerbs.prototype, 'answer')!;
  for (const verb of servedVerbs('gateway').filter((v) => !except.includes(v))) mark(COMMAND, { service: 'gateway', verb })(AllVerbs.prototype, 'answer', desc);
  return AllVerbs;
};

/** The bus as the router uses it: one answer per forwarded command. */
class FakeBus {
  readonly verbs: string[] = [];
  requestAny(_service: string, verb: string) {
    this.verbs.push(verb);
    return Promise.resolve({ room: { id: 'r1' }, participants: [], seq: 4 });
  }
}

let app: INestApplicationContext | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** The gateway's command and delivery parts with fakes for NATS and the bus, plus `domains`. */
async function boot(domains: Type[]): Promise<{ ctx: INestApplicationContext; nats: FakeNats }> {
  const nats = new FakeNats();
  @Module({
    imports: [DiscoveryModule],
    providers: [
      Wiring,
      { provide: NATS, useValue: nats.asConnection() },
      { provide: CONFIG, useValue: gatewayConfig() },
      { provide: LOGGER, useValue: silentLogger },
      { provide: GatewayMetrics, useValue: metrics() },
      { provide: CommandBus, useValue: new FakeBus() },
      Subscriptions,
      ConnectionRegistry,
      EventDelivery,
      LocalCommands,
      CommandHooks,
      CommandRouter,
      GatewayWiring,
      ...domains,
    ],
  })
  class TestGateway {}
  app = await NestFactory.createApplicationContext(TestGateway, { logger: false, abortOnError: false });
  return { ctx: app, nats };
}

describe('GatewayWiring (decorated methods connected at boot)', () => {
  it('connects each decorator to its part: commands, forward wrappers, event reactions, interceptors, close listeners', async () => {
    const seen: string[] = [];
    @Injectable()
    class Domain {
      @Command('ping')
      ping(): Reply<'ping'> {
        seen.push('ping');
        return { ts: 1 };
      }
      @BeforeForward('room.join')
      async join(data: CommandData<'room.join'>, _conn: Connection, send: () => Promise<JoinReply>): Promise<JoinReply> {
        seen.push(`before ${data.roomId}`);
        const reply = await send();
        seen.push(`after seq ${reply.seq}`);
        return reply;
      }
      @OnEvent('session.replaced')
      replaced(_conn: Connection, event: DeliveredEvent) {
        seen.push(`reacted ${event.type}`);
      }
      @InterceptEvent('signal')
      signal(): string {
        seen.push('intercepted');
        return 'forbidden';
      }
      @OnConnectionClosed()
      closed(conn: Connection) {
        seen.push(`closed ${conn.userId}`);
      }
    }
    const { ctx, nats } = await boot([gatewayVerbs(['ping']), Domain]);
    const router = ctx.get(CommandRouter);
    const registry = ctx.get(ConnectionRegistry);
    const { conn, socket } = connection('bob');
    registry.add(conn);
    await router.route(conn, Buffer.from(JSON.stringify({ id: '1', type: 'ping' })));
    await router.route(conn, Buffer.from(JSON.stringify({ id: '2', type: 'room.join', data: { roomId: 'r1' } })));
    nats.event(subjects.conn(conn.id), { type: 'session.replaced', data: { reason: 'another device' } });
    const verdict = nats.event(subjects.conn(conn.id), { type: 'signal', data: {} }, 'inbox.1');
    registry.remove(conn);
    expect(seen).toEqual(['ping', 'before r1', 'after seq 4', 'reacted session.replaced', 'intercepted', 'closed bob']);
    expect(verdict.answers).toEqual(['forbidden']);
    expect(socket.sent.slice(0, 2).map((f: { type: string }) => f.type)).toEqual(['ping.ok', 'room.join.ok']);
  });

  it('fails the boot on an @Every sweep, which the gateway would never run', async () => {
    @Injectable()
    class Timers {
      @Every('lobby')
      async flush() {}
    }
    await expect(boot([gatewayVerbs(), Timers])).rejects.toThrow('Timers.flush is an @Every sweep, but the gateway runs no Sweeper');
  });

  it('fails the boot when a gateway verb has no @Command, naming it', async () => {
    await expect(boot([gatewayVerbs(['pair.reject'])])).rejects.toThrow('gateway serves pair.reject but no @Command method handles it');
  });

  it('fails the boot on a second @BeforeForward of one verb, naming both classes', async () => {
    @Injectable()
    class Rooms {
      @BeforeForward('room.leave')
      leave(_d: CommandData<'room.leave'>, _c: Connection, send: () => Promise<Reply<'room.leave'>>) {
        return send();
      }
    }
    @Injectable()
    class Audit {
      @BeforeForward('room.leave')
      note(_d: CommandData<'room.leave'>, _c: Connection, send: () => Promise<Reply<'room.leave'>>) {
        return send();
      }
    }
    await expect(boot([gatewayVerbs(), Rooms, Audit])).rejects.toThrow('before-forward hook of room.leave is registered twice: Rooms.leave and Audit.note');
  });

  it('fails the boot on a second @InterceptEvent or @OnEvent of one event type, naming both classes', async () => {
    @Injectable()
    class Signaling {
      @InterceptEvent('signal')
      check() {
        return 'ok';
      }
    }
    @Injectable()
    class Other {
      @InterceptEvent('signal')
      alsoCheck() {
        return 'ok';
      }
    }
    await expect(boot([gatewayVerbs(), Signaling, Other])).rejects.toThrow('interceptor of signal is registered twice: Signaling.check and Other.alsoCheck');
    await app?.close();
    app = undefined;
    @Injectable()
    class Sessions {
      @OnEvent('session.closed')
      close() {}
    }
    @Injectable()
    class Presence {
      @OnEvent('session.closed')
      alsoClose() {}
    }
    await expect(boot([gatewayVerbs(), Sessions, Presence])).rejects.toThrow('event reaction to session.closed is registered twice: Sessions.close and Presence.alsoClose');
  });

  it('takes frames with the one @InterceptFrames before the command path, refuses a second, and tells every @OnRoomLeft', async () => {
    const seen: string[] = [];
    @Injectable()
    class Audio {
      @InterceptFrames()
      take(_conn: Connection, raw: Buffer): boolean {
        const taken = raw.toString().includes('"audio"');
        if (taken) seen.push('taken');
        return taken;
      }
      @OnRoomLeft()
      left(_conn: Connection, roomId: string) {
        seen.push(`left ${roomId}`);
      }
    }
    const { ctx } = await boot([gatewayVerbs(), Audio]);
    const router = ctx.get(CommandRouter);
    const registry = ctx.get(ConnectionRegistry);
    const { conn, socket } = connection();
    registry.add(conn);
    await router.route(conn, Buffer.from(JSON.stringify({ id: '1', type: 'audio' })));
    await router.route(conn, Buffer.from(JSON.stringify({ id: '2', type: 'ping' })));
    registry.beginJoin(conn, 'r9');
    registry.leaveRoom(conn, 'r9');
    expect(seen).toEqual(['taken', 'left r9']);
    expect(socket.sent.map((f: { re: string }) => f.re)).toEqual(['2']);
    await app?.close();
    app = undefined;
    @Injectable()
    class MoreAudio {
      @InterceptFrames()
      take() {
        return false;
      }
    }
    await expect(boot([gatewayVerbs(), Audio, MoreAudio])).rejects.toThrow('frame interceptor is registered twice: Audio.take and MoreAudio.take');
  });

  it('allows any number of @OnConnectionClosed, and a failing one does not stop the others', async () => {
    const closed: string[] = [];
    @Injectable()
    class Pairing {
      @OnConnectionClosed()
      async gone() {
        closed.push('pairing');
        throw new Error('redis down');
      }
    }
    @Injectable()
    class Watchers {
      @OnConnectionClosed()
      gone() {
        closed.push('watchers');
      }
    }
    const { ctx } = await boot([gatewayVerbs(), Pairing, Watchers]);
    const registry = ctx.get(ConnectionRegistry);
    const { conn } = connection();
    registry.add(conn);
    registry.remove(conn);
    expect(closed.sort()).toEqual(['pairing', 'watchers']);
    expect(registry.size).toBe(0);
  });
});
