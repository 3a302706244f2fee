import { Injectable } from '@nestjs/common';
import { ChatService } from './chat.service.js';
import type { Caller } from '@switchboard/platform';
import type { CommandData } from '@switchboard/protocol';
import { Command } from '../command.js';

/** NATS verbs `chat.*`, served by the rooms command subscription. */
@Injectable()
export class ChatHandler {
  constructor(private readonly chat: ChatService) {}

  // The hot verb: no span per send (ADR 0079); its failures are still logged with the caller's trace id.
  @Command('chat.send', { untraced: true })
  send(data: CommandData<'chat.send'>, caller: Caller) {
    return this.chat.send(caller, data);
  }

  @Command('chat.edit')
  edit(data: CommandData<'chat.edit'>, caller: Caller) {
    return this.chat.edit(caller, data);
  }

  @Command('chat.delete')
  delete(data: CommandData<'chat.delete'>, caller: Caller) {
    return this.chat.delete(caller, data);
  }

  @Command('chat.react')
  react(data: CommandData<'chat.react'>, caller: Caller) {
    return this.chat.react(caller, data);
  }

  @Command('chat.pin')
  pin(data: CommandData<'chat.pin'>, caller: Caller) {
    return this.chat.pin(caller, data);
  }

  @Command('chat.history')
  history(data: CommandData<'chat.history'>, caller: Caller) {
    return this.chat.history(caller, data);
  }

  @Command('chat.read')
  read(data: CommandData<'chat.read'>, caller: Caller) {
    return this.chat.read(caller, data);
  }

  @Command('chat.typing')
  typing(data: CommandData<'chat.typing'>, caller: Caller) {
    return this.chat.typing(caller, data);
  }
}
