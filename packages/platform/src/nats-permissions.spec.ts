import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, natsServerFiles, natsViolationsSince, NATS_TEST_PASSWORD, NATS_TEST_USER, waitForPort } from '@switchboard/testing/infra';
import { until } from '@switchboard/testing/stack';
import { NATS_PERMISSIONS, NATS_USERS, natsInboxPrefix, natsServerUsers } from './nats-permissions.js';

describe('NATS permission table', () => {
  it('lets only the gateway publish commands, and gives every user its own inbox', () => {
    const users = natsServerUsers(Object.fromEntries(NATS_USERS.map((u) => [u, 'pw'])));
    expect(users.map((u) => u.user)).toEqual([...NATS_USERS]);
    for (const u of users) {
      expect(u.permissions.subscribe.allow).toContain(`${natsInboxPrefix(u.user)}.>`);
      expect(u.permissions.subscribe.allow).not.toContain('_INBOX.>');
      expect(u.permissions.subscribe.allow).not.toContain('>');
      expect(u.permissions.publish.allow.some((s) => s.startsWith('sb.cmd'))).toBe(u.user === 'gateway');
    }
    expect(NATS_PERMISSIONS.rooms.subscribe).toContain('sb.cmd.rooms.>');
    expect(NATS_PERMISSIONS.rooms.subscribe).not.toContain('sb.cmd.media.>');
  });
});

/**
 * Against a real nats-server configured from the table (its own, so the refusals this test
 * provokes do not fail the suite's violation check): a user acting outside its permissions
 * is refused and the server logs the violation.
 */
describe('NATS users with subject permissions (real nats-server)', () => {
  let dir: string;
  let server: ChildProcess;
  let url: string;
  let logFile: string;
  const conns: NatsConnection[] = [];
  const as = async (user: string, password = NATS_TEST_PASSWORD) => {
    const nc = await connect({ servers: url, user, pass: password, inboxPrefix: natsInboxPrefix(user), noAsyncTraces: true });
    conns.push(nc);
    return nc;
  };
  const errorsOf = (nc: NatsConnection) => {
    const errors: string[] = [];
    void (async () => {
      for await (const s of nc.status()) if (s.type === 'error') errors.push(String(s.error));
    })();
    return errors;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-nats-perm-'));
    const port = await freePort();
    const files = natsServerFiles(dir, port);
    logFile = files.logFile;
    server = spawn('nats-server', files.args, { stdio: 'ignore' });
    url = `nats://127.0.0.1:${port}`;
    await waitForPort(port);
  });
  afterAll(async () => {
    for (const nc of conns) await nc.close().catch(() => undefined);
    server.kill('SIGTERM');
    await new Promise((r) => (server.exitCode !== null ? r(null) : server.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a connection without credentials or with a wrong password', async () => {
    await expect(connect({ servers: url, reconnect: false })).rejects.toThrow(/authorization/i);
    await expect(connect({ servers: url, user: 'gateway', pass: 'wrong', reconnect: false })).rejects.toThrow(/authorization/i);
  });

  it('refuses a service publishing a command as if it were the gateway, and forging a notice', async () => {
    const rooms = await as('rooms');
    const errors = errorsOf(rooms);
    const observer = await as(NATS_TEST_USER);
    const seen: string[] = [];
    observer.subscribe('sb.>', { callback: (_e, m) => void seen.push(m.subject) });
    await observer.flush();
    rooms.publish('sb.cmd.media.call.start', 'forged');
    rooms.publish('sb.sys.conn.gone', 'forged');
    rooms.publish('sb.evt.room.7.r1', 'allowed');
    await rooms.flush();
    await until(() => seen.includes('sb.evt.room.7.r1') && errors.length >= 2, 'the allowed event and two refusals');
    expect(seen).toEqual(['sb.evt.room.7.r1']);
    expect(errors.join('\n')).toMatch(/Permissions Violation for Publish to "sb.cmd.media.call.start"/);
    expect(errors.join('\n')).toMatch(/Permissions Violation for Publish to "sb.sys.conn.gone"/);
    const logged = await until(() => {
      const { lines } = natsViolationsSince(logFile, 0);
      return lines.filter((l) => l.includes('User "rooms"')).length >= 2 ? lines : undefined;
    }, 'the violations in the server log');
    expect(logged.join('\n')).toMatch(/Publish Violation - User "rooms", Subject "sb.cmd.media.call.start"/);
  });

  it("refuses the gateway reading another service's commands or another user's replies", async () => {
    const gateway = await as('gateway');
    const errors = errorsOf(gateway);
    const sub = gateway.subscribe('sb.cmd.rooms.>');
    const inbox = gateway.subscribe(`${natsInboxPrefix('rooms')}.>`);
    const closed = Promise.all([sub.closed, inbox.closed].map((c) => c.then((v) => (v instanceof Error ? v.message : 'closed'), (e: Error) => e.message)));
    await gateway.flush();
    await until(() => errors.length >= 2, 'two refused subscriptions');
    expect(errors.join('\n')).toMatch(/Permissions Violation for Subscription to "sb.cmd.rooms.>"/);
    expect(errors.join('\n')).toMatch(/Permissions Violation for Subscription to "_INBOX_rooms.>"/);
    expect((await closed).join(' ')).toMatch(/permission/i);
  });

  it('lets a service answer a request it received (allow_responses) on the requester inbox', async () => {
    const rooms = await as('rooms');
    rooms.subscribe('sb.cmd.rooms.ping', {
      callback: (_e, m) => {
        m.respond('pong');
      },
    });
    await rooms.flush();
    const gateway = await as('gateway');
    const reply = await gateway.request('sb.cmd.rooms.ping', 'ping', { timeout: 2000 });
    expect(reply.string()).toBe('pong');
  });
});
