import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';

type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
interface Waiting {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  since: number;
  onError: () => void;
}

export interface UpgradeGateOptions {
  /** Upgrades being decided at once (token, slot, 101); 0 turns the gate off. */
  concurrency: number;
  /** Upgrades waiting their turn; beyond it an upgrade is refused at once (503). */
  maxWaiting: number;
  /** An upgrade that waited longer is refused (503) instead of decided: its client has given up on it by then. */
  maxWaitMs: number;
  /** Counts what the gate did with an upgrade. */
  onOutcome?: (outcome: 'queued' | 'overflow' | 'expired') => void;
}

/**
 * HTTP upgrades decided in arrival order, at most `concurrency` at a time (ADR 0096). When a
 * gateway dies, its clients all reconnect to the others within a second: taken all at once, the
 * upgrades progress together and most of them finish late — past the clients' `hello` timeout,
 * so they are abandoned and redone on a new socket, and the work is paid twice. In arrival order
 * the first ones finish first, the rest wait (sockets accepted, nothing decided), and one that
 * waited past `maxWaitMs` is refused with 503 before its token or slot costs anything.
 * An upgrade's turn ends with its first write (the 101, or a refusal) or its socket's close.
 */
export class UpgradeGate {
  private inFlight = 0;
  private readonly waiting: Waiting[] = [];
  private head = 0;
  private scheduled = false;

  constructor(
    private readonly server: Server,
    private readonly listeners: UpgradeListener[],
    private readonly opts: UpgradeGateOptions,
  ) {}

  /**
   * Puts the gate in front of the server's current `upgrade` listeners (call after they are
   * registered: after the application listens). Does nothing with `concurrency` 0.
   */
  static install(server: Server, opts: UpgradeGateOptions): UpgradeGate | undefined {
    if (opts.concurrency <= 0) return undefined;
    const listeners = server.listeners('upgrade') as UpgradeListener[];
    const gate = new UpgradeGate(server, listeners, opts);
    for (const l of listeners) server.off('upgrade', l);
    server.on('upgrade', gate.handle);
    return gate;
  }

  /** Upgrades being decided and waiting (for tests and metrics). */
  stats(): { inFlight: number; waiting: number } {
    return { inFlight: this.inFlight, waiting: this.waiting.length - this.head };
  }

  readonly handle = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (this.inFlight < this.opts.concurrency && this.waiting.length === this.head) return this.start(req, socket, head);
    if (this.waiting.length - this.head >= this.opts.maxWaiting) {
      this.opts.onOutcome?.('overflow');
      return refuse(socket);
    }
    // Until its turn nobody else listens on the socket: a reset must not become an uncaught error.
    const onError = () => socket.destroy();
    socket.on('error', onError);
    this.waiting.push({ req, socket, head, since: Date.now(), onError });
    this.opts.onOutcome?.('queued');
  };

  private start(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.inFlight++;
    let done = false;
    const write = socket.write;
    const release = () => {
      if (done) return;
      done = true;
      socket.write = write;
      socket.off('close', release);
      this.inFlight--;
      this.schedule();
    };
    // The first write is the decision (101 or a refusal): the next upgrade may start.
    socket.write = function (this: Duplex, ...args: Parameters<Duplex['write']>) {
      release();
      return write.apply(this, args);
    } as Duplex['write'];
    socket.once('close', release);
    for (const l of this.listeners) l.call(this.server, req, socket, head);
  }

  /** The next ones start in a turn of their own, not inside the write that released a place. */
  private schedule(): void {
    if (this.scheduled || this.waiting.length === this.head) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.next();
    });
  }

  private next(): void {
    const expired = Date.now() - this.opts.maxWaitMs;
    while (this.inFlight < this.opts.concurrency && this.waiting.length > this.head) {
      const w = this.waiting[this.head++];
      w.socket.off('error', w.onError);
      if (w.socket.destroyed) continue;
      if (w.since < expired) {
        this.opts.onOutcome?.('expired');
        refuse(w.socket);
        continue;
      }
      this.start(w.req, w.socket, w.head);
    }
    // Compact the queue once its consumed front is large (or all of it).
    if (this.head === this.waiting.length) {
      this.waiting.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
  }
}

/** 503 with a hint to come back later, as a draining gateway answers (the client's reconnect backs off). */
function refuse(socket: Duplex): void {
  if (socket.destroyed) return;
  socket.on('error', () => socket.destroy());
  socket.once('finish', () => socket.destroy());
  socket.end('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
}
