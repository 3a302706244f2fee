import { Injectable } from '@nestjs/common';
import type { CommandHandlers } from '@switchboard/platform';
import { ModerationService } from './moderation.service.js';

/** NATS verbs for kick, ban, roles and mutes, served by the rooms command subscription. */
@Injectable()
export class ModerationHandler {
  constructor(private readonly moderation: ModerationService) {}

  commands(): Pick<CommandHandlers<'rooms'>, 'room.kick' | 'room.ban' | 'room.unban' | 'room.set_role' | 'room.mute'> {
    return {
      'room.kick': (data, caller) => this.moderation.kick(caller, data),
      'room.ban': (data, caller) => this.moderation.ban(caller, data),
      'room.unban': (data, caller) => this.moderation.unban(caller, data),
      'room.set_role': (data, caller) => this.moderation.setRole(caller, data),
      'room.mute': (data, caller) => this.moderation.mute(caller, data),
    };
  }
}
