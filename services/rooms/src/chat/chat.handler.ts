import { Injectable } from '@nestjs/common';
import type { DomainHandlers } from '@switchboard/platform';
import { ChatService } from './chat.service.js';

/** NATS verbs `chat.*`, served by the rooms command subscription. */
@Injectable()
export class ChatHandler {
  constructor(private readonly chat: ChatService) {}

  commands(): DomainHandlers<'rooms', 'chat'> {
    return {
      'chat.send': (data, caller) => this.chat.send(caller, data),
      'chat.edit': (data, caller) => this.chat.edit(caller, data),
      'chat.delete': (data, caller) => this.chat.delete(caller, data),
      'chat.react': (data, caller) => this.chat.react(caller, data),
      'chat.pin': (data, caller) => this.chat.pin(caller, data),
      'chat.history': (data, caller) => this.chat.history(caller, data),
      'chat.read': (data, caller) => this.chat.read(caller, data),
      'chat.typing': (data, caller) => this.chat.typing(caller, data),
    };
  }
}
