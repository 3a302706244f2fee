import { describe, expect, it } from 'vitest';
import { connection } from '../testing/fakes.test.js';

describe('Connection.corked', () => {
  it('holds the socket corked while the frames are sent and uncorks it after, also when the sender throws', () => {
    const { conn, socket } = connection();
    const log: string[] = [];
    const raw = { cork: () => log.push('cork'), uncork: () => log.push('uncork') };
    Object.assign(socket, { _socket: raw });
    const send = socket.send.bind(socket);
    socket.send = (data: string) => {
      log.push(`send ${JSON.parse(data).n}`);
      send(data);
    };
    expect(conn.corked(() => [1, 2, 3].map((n) => conn.send({ n })).length)).toBe(3);
    expect(log).toEqual(['cork', 'send 1', 'send 2', 'send 3', 'uncork']);
    log.length = 0;
    expect(() =>
      conn.corked(() => {
        conn.send({ n: 4 });
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(log).toEqual(['cork', 'send 4', 'uncork']);
    // A socket without the underlying stream (closed, or a test double) just sends.
    Object.assign(socket, { _socket: null });
    expect(conn.corked(() => conn.send({ n: 5 }))).toBe(true);
  });
});
