import { Injectable } from '@nestjs/common';
import { commandsHandlerFor } from '@switchboard/platform';

/** NATS entry for `sb.cmd.media.*`: every domain's `@Command` methods, found at boot (docs/architecture.md). */
@Injectable()
export class MediaCommandsHandler extends commandsHandlerFor('media') {}
