import { Injectable } from '@nestjs/common';
import { checkReply, contractChecksEnabled, ProtocolError, type CommandData, type Reply, type Verb } from '@switchboard/protocol';
import type { Connection } from '../connections/connection.js';

/** One gateway verb's `@Command` method: typed request data in, typed reply out. */
export type LocalCommand<V extends Verb> = (data: CommandData<V>, conn: Connection) => Promise<Reply<V>> | Reply<V>;

/** Verbs the gateway answers itself (session, signaling, pairing); filled by GatewayWiring from `@Command` methods. */
@Injectable()
export class LocalCommands {
  private readonly commands = new Map<string, LocalCommand<Verb>>();
  private readonly checked = contractChecksEnabled();

  register<V extends Verb>(verb: V, command: LocalCommand<V>): void {
    if (this.commands.has(verb)) throw new Error(`gateway command ${verb} is registered twice`);
    this.commands.set(verb, command as unknown as LocalCommand<Verb>);
  }

  async run(conn: Connection, verb: string, data: unknown): Promise<unknown> {
    const command = this.commands.get(verb);
    // Unreachable in a booted gateway (every gateway verb has a @Command, checked at boot).
    if (!command) throw new ProtocolError('unavailable', `${verb} is not available on this server yet`);
    const reply = await command(data as never, conn);
    // Development and tests: a reply that breaks its schema fails here, not in a client.
    if (this.checked) checkReply('gateway', verb, reply ?? {});
    return reply;
  }
}
