import { Injectable } from '@nestjs/common';
import type { Verb } from '@switchboard/protocol';
import type { Connection } from '../connections/connection.js';
import type { ForwardWrapper, HereAnswer } from '../wiring/decorators.js';

/**
 * Per-verb wrappers (`@BeforeForward` methods) that keep the replica's local state
 * (subscriptions, cursors) in step with commands answered by services; GatewayWiring fills it.
 */
@Injectable()
export class CommandHooks {
  private readonly wrappers = new Map<string, ForwardWrapper<Verb>>();
  private readonly here = new Map<string, HereAnswer<Verb>>();

  register<V extends Verb>(verb: V, wrapper: ForwardWrapper<V>): void {
    if (this.wrappers.has(verb)) throw new Error(`a hook for ${verb} is already registered`);
    this.wrappers.set(verb, wrapper as unknown as ForwardWrapper<Verb>);
  }

  /** An `@AnswerHere` method: the verb answered at this replica when it can. */
  registerHere<V extends Verb>(verb: V, answer: HereAnswer<V>): void {
    if (this.here.has(verb)) throw new Error(`an answer-here hook for ${verb} is already registered`);
    this.here.set(verb, answer as unknown as HereAnswer<Verb>);
  }

  /** The reply this replica gives `verb` by itself, or undefined: forward it (with its span and `@BeforeForward`). */
  answerHere(conn: Connection, verb: string, data: unknown): unknown {
    return this.here.get(verb)?.(data as never, conn);
  }

  /** `send` resolves with what the owning service answered to `verb` (its reply schema, checked there). */
  run(conn: Connection, verb: string, data: unknown, send: () => Promise<unknown>): Promise<unknown> {
    const wrapper = this.wrappers.get(verb);
    return wrapper ? wrapper(data as never, conn, send as () => Promise<never>) : send();
  }
}
