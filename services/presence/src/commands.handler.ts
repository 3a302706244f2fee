import { Injectable } from '@nestjs/common';
import { commandsHandlerFor } from '@switchboard/platform';

/** NATS entry for `sb.cmd.presence.*`: every domain's `@Command` methods, found at boot (docs/architecture.md). */
@Injectable()
export class PresenceCommandsHandler extends commandsHandlerFor('presence') {}
