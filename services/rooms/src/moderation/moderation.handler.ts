import { Injectable } from '@nestjs/common';
import type { CommandHandler } from '@switchboard/platform';
import { ModerationService } from './moderation.service.js';

/** NATS verbs for kick, ban, roles and mutes, served by the rooms command subscription. */
@Injectable()
export class ModerationHandler {
  constructor(private readonly moderation: ModerationService) {}

  commands(): Record<string, CommandHandler> {
    return {
      'room.kick': (data, caller) => this.moderation.kick(caller, data),
      'room.ban': (data, caller) => this.moderation.ban(caller, data),
      'room.unban': (data, caller) => this.moderation.unban(caller, data),
      'room.set_role': (data, caller) => this.moderation.setRole(caller, data),
      'room.mute': (data, caller) => this.moderation.mute(caller, data),
    };
  }
}
