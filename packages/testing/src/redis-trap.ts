import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP relay in front of the real Redis for one process under test. Once armed with
 * a value, the first Redis reply that carries it as a whole bulk string (a claim script's
 * member, not a JSON document that mentions it) is swallowed and the relay freezes every
 * connection from then on: Redis has executed the command, its caller never learns it. That
 * holds a process exactly between "claimed in Redis" and "acted on it", for kill tests.
 */
export class RedisTrap {
  private marker?: Buffer;
  private sockets = new Set<Socket>();
  frozen = false;

  private readonly server: Server;
  url = '';

  private constructor(redisUrl: string) {
    const target = new URL(redisUrl);
    this.server = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      this.sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.on('data', (d: Buffer) => {
        if (!this.frozen) upstream.write(d);
      });
      upstream.on('data', (d: Buffer) => {
        if (this.frozen) return;
        if (this.marker && d.includes(this.marker)) {
          this.frozen = true;
          return;
        }
        client.write(d);
      });
    });
  }

  static async start(redisUrl: string): Promise<RedisTrap> {
    const trap = new RedisTrap(redisUrl);
    await new Promise<void>((resolve) => trap.server.listen(0, '127.0.0.1', resolve));
    trap.url = `redis://127.0.0.1:${(trap.server.address() as { port: number }).port}`;
    return trap;
  }

  /**
   * Freezes at the first reply holding `value` as a RESP bulk string. Matching any reply that
   * merely contains it froze rooms-sweep-kill too early: the room registry's periodic read of
   * the room's seats (HVALS, JSON naming the connection) could come first, so the process froze
   * before it had even scheduled the removal it was supposed to claim.
   */
  arm(value: string): void {
    this.marker = Buffer.from(`$${Buffer.byteLength(value)}\r\n${value}\r\n`);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
