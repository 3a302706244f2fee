import { Injectable } from '@nestjs/common';
import type { CommandHandler } from '@switchboard/platform';
import { AttachmentsService } from './attachments.service.js';

/** NATS verbs `chat.upload` and `chat.download`, served by the rooms command subscription. */
@Injectable()
export class AttachmentsHandler {
  constructor(private readonly attachments: AttachmentsService) {}

  commands(): Record<string, CommandHandler> {
    return {
      'chat.upload': (data, caller) => this.attachments.upload(caller, data),
      'chat.download': (data, caller) => this.attachments.download(caller, data),
    };
  }
}
