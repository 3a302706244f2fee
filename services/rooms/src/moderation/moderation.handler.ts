import { Injectable } from '@nestjs/common';
import { ModerationService } from './moderation.service.js';
import type { Caller } from '@switchboard/platform';
import type { CommandData } from '@switchboard/protocol';
import { Command } from '../command.js';

/** NATS verbs for kick, ban, roles and mutes, served by the rooms command subscription. */
@Injectable()
export class ModerationHandler {
  constructor(private readonly moderation: ModerationService) {}

  @Command('room.kick')
  kick(data: CommandData<'room.kick'>, caller: Caller) {
    return this.moderation.kick(caller, data);
  }

  @Command('room.ban')
  ban(data: CommandData<'room.ban'>, caller: Caller) {
    return this.moderation.ban(caller, data);
  }

  @Command('room.unban')
  unban(data: CommandData<'room.unban'>, caller: Caller) {
    return this.moderation.unban(caller, data);
  }

  @Command('room.set_role')
  setRole(data: CommandData<'room.set_role'>, caller: Caller) {
    return this.moderation.setRole(caller, data);
  }

  @Command('room.mute')
  mute(data: CommandData<'room.mute'>, caller: Caller) {
    return this.moderation.mute(caller, data);
  }
}
