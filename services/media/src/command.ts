import { commandDecorator, type CommandDecorator } from '@switchboard/platform';

/**
 * `@Command(verb)` on a domain's NATS entry method: the media service answers `verb` with it.
 * Typed against the protocol registry (only verbs media serves; the method takes the verb's
 * request data and the caller, and returns its reply); CommandsHandler checks at boot that
 * every verb has exactly one.
 */
export const Command: CommandDecorator<'media'> = commandDecorator('media');
