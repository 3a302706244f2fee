import { Injectable } from '@nestjs/common';
import type { Connection } from '../connections/connection.js';

/** Wraps the forwarding of one verb: may act before the request and after its reply. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- replaced by per-verb types (issue 12 §1, typed contracts)
export type CommandWrapper = (conn: Connection, data: any, send: () => Promise<unknown>) => Promise<unknown>;

/**
 * Per-verb wrappers that keep the replica's local state (subscriptions, cursors) in step with
 * commands answered by services. Domain folders register theirs at start-up.
 */
@Injectable()
export class CommandHooks {
  private readonly wrappers = new Map<string, CommandWrapper>();

  register(verb: string, wrapper: CommandWrapper): void {
    if (this.wrappers.has(verb)) throw new Error(`a hook for ${verb} is already registered`);
    this.wrappers.set(verb, wrapper);
  }

  run(conn: Connection, verb: string, data: unknown, send: () => Promise<unknown>): Promise<unknown> {
    const wrapper = this.wrappers.get(verb);
    return wrapper ? wrapper(conn, data, send) : send();
  }
}
