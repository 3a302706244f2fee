import { Injectable } from '@nestjs/common';
import { ProtocolError } from '@switchboard/protocol';
import type { Connection } from '../connections/connection.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- replaced by per-verb types (issue 12 §1, typed contracts)
type LocalHandler = (conn: Connection, data: any) => Promise<unknown> | unknown;

/** Verbs the gateway answers itself (session, signaling, pairing). */
@Injectable()
export class LocalCommands {
  private readonly handlers = new Map<string, LocalHandler>([['ping', () => ({ ts: Date.now() })]]);

  register(verb: string, handler: LocalHandler): void {
    this.handlers.set(verb, handler);
  }

  run(conn: Connection, verb: string, data: unknown): Promise<unknown> | unknown {
    const handler = this.handlers.get(verb);
    if (!handler) throw new ProtocolError('unavailable', `${verb} is not available on this server yet`);
    return handler(conn, data);
  }
}
