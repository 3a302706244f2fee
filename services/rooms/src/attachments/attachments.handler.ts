import { Injectable } from '@nestjs/common';
import type { DomainHandlers } from '@switchboard/platform';
import { AttachmentsService } from './attachments.service.js';

/** The chat verbs about stored files; ChatHandler serves the rest. */
export type AttachmentVerb = 'chat.upload' | 'chat.download';

/** NATS verbs `chat.upload` and `chat.download`, served by the rooms command subscription. */
@Injectable()
export class AttachmentsHandler {
  constructor(private readonly attachments: AttachmentsService) {}

  commands(): Pick<DomainHandlers<'rooms', 'chat'>, AttachmentVerb> {
    return {
      'chat.upload': (data, caller) => this.attachments.upload(caller, data),
      'chat.download': (data, caller) => this.attachments.download(caller, data),
    };
  }
}
