import { Injectable } from '@nestjs/common';
import { checkReply, contractChecksEnabled, ProtocolError, type CommandData, type Reply, type Verb } from '@switchboard/protocol';
import type { Connection } from '../connections/connection.js';

/** One gateway verb: typed request data in, typed reply out. */
export type LocalHandler<V extends Verb> = (conn: Connection, data: CommandData<V>) => Promise<Reply<V>> | Reply<V>;

/** Verbs the gateway answers itself (session, signaling, pairing). */
@Injectable()
export class LocalCommands {
  private readonly handlers = new Map<string, LocalHandler<Verb>>([['ping', () => ({ ts: Date.now() })]]);
  private readonly checked = contractChecksEnabled();

  register<V extends Verb>(verb: V, handler: LocalHandler<V>): void {
    this.handlers.set(verb, handler as unknown as LocalHandler<Verb>);
  }

  async run(conn: Connection, verb: string, data: unknown): Promise<unknown> {
    const handler = this.handlers.get(verb);
    if (!handler) throw new ProtocolError('unavailable', `${verb} is not available on this server yet`);
    const reply = await handler(conn, data as never);
    // Development and tests: a reply that breaks its schema fails here, not in a client.
    if (this.checked) checkReply('gateway', verb, reply ?? {});
    return reply;
  }
}
