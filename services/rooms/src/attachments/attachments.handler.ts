import { Injectable } from '@nestjs/common';
import { AttachmentsService } from './attachments.service.js';
import type { Caller } from '@switchboard/platform';
import type { CommandData } from '@switchboard/protocol';
import { Command } from '../command.js';

/** NATS verbs `chat.upload` and `chat.download` (stored files); ChatHandler serves the other `chat.*` verbs. */
@Injectable()
export class AttachmentsHandler {
  constructor(private readonly attachments: AttachmentsService) {}

  @Command('chat.upload')
  upload(data: CommandData<'chat.upload'>, caller: Caller) {
    return this.attachments.upload(caller, data);
  }

  @Command('chat.download')
  download(data: CommandData<'chat.download'>, caller: Caller) {
    return this.attachments.download(caller, data);
  }
}
