import { Injectable } from '@nestjs/common';
import type { CommandData, Reply, Verb } from '@switchboard/protocol';
import type { Connection } from '../connections/connection.js';

/** Wraps the forwarding of one verb: may act before the request and after its typed reply. */
export type CommandWrapper<V extends Verb> = (conn: Connection, data: CommandData<V>, send: () => Promise<Reply<V>>) => Promise<Reply<V>>;

/**
 * Per-verb wrappers that keep the replica's local state (subscriptions, cursors) in step with
 * commands answered by services. Domain folders register theirs at start-up.
 */
@Injectable()
export class CommandHooks {
  private readonly wrappers = new Map<string, CommandWrapper<Verb>>();

  register<V extends Verb>(verb: V, wrapper: CommandWrapper<V>): void {
    if (this.wrappers.has(verb)) throw new Error(`a hook for ${verb} is already registered`);
    this.wrappers.set(verb, wrapper as unknown as CommandWrapper<Verb>);
  }

  /** `send` resolves with what the owning service answered to `verb` (its reply schema, checked there). */
  run(conn: Connection, verb: string, data: unknown, send: () => Promise<unknown>): Promise<unknown> {
    const wrapper = this.wrappers.get(verb);
    return wrapper ? wrapper(conn, data as never, send as () => Promise<never>) : send();
  }
}
