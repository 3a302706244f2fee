import type { z } from 'zod';
import { chat } from './chat.js';
import { lobby } from './lobby.js';
import { media } from './media.js';
import { presence } from './presence.js';
import { floor, rooms } from './rooms.js';
import { session } from './session.js';
import { signaling } from './signaling.js';

export type ServiceName = 'gateway' | 'rooms' | 'presence' | 'media' | 'attestation';

export interface CommandSpec {
  /** Who answers: the gateway itself, or a service over `sb.cmd.<service>.<verb>`. */
  readonly service: ServiceName;
  readonly doc: string;
  readonly schema: z.ZodType;
}

/** Every client verb of protocol v1. One source for validation, routing and docs/protocol.md. */
export const COMMANDS = {
  ...session,
  ...rooms,
  ...floor,
  ...lobby,
  ...chat,
  ...signaling,
  ...presence,
  ...media,
} as const satisfies Record<string, CommandSpec>;

export type Verb = keyof typeof COMMANDS;
export type CommandData<V extends Verb> = z.output<(typeof COMMANDS)[V]['schema']>;

export function commandSpec(verb: string): CommandSpec | undefined {
  return Object.prototype.hasOwnProperty.call(COMMANDS, verb) ? (COMMANDS as Record<string, CommandSpec>)[verb] : undefined;
}
