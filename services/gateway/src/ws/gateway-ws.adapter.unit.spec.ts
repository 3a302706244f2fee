import { describe, expect, it } from 'vitest';
import { acceptCorked } from './gateway-ws.adapter.js';

/** A socket that records what was written while corked, as Node's does: nothing leaves until the last uncork. */
function fakeSocket() {
  let corked = 0;
  const buffered: string[] = [];
  const flushed: string[][] = [];
  return {
    flushed,
    cork: () => void corked++,
    uncork: () => {
      if (corked > 0 && --corked === 0 && buffered.length) flushed.push(buffered.splice(0));
    },
    write: (s: string) => (corked ? buffered.push(s) : flushed.push([s])),
  };
}

describe('acceptCorked (ADR 0082)', () => {
  it('lets the 101 response and what the connection handler writes at once leave together', () => {
    const socket = fakeSocket();
    acceptCorked(socket, () => {
      socket.write('HTTP/1.1 101 Switching Protocols');
      // ws's sender corks and uncorks around each frame: nested, so the frame waits too.
      socket.cork();
      socket.write('hello');
      socket.uncork();
    });
    expect(socket.flushed).toEqual([['HTTP/1.1 101 Switching Protocols', 'hello']]);
  });

  it('uncorks when the accept throws', () => {
    const socket = fakeSocket();
    expect(() =>
      acceptCorked(socket, () => {
        socket.write('101');
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(socket.flushed).toEqual([['101']]);
  });
});
