import { Injectable } from '@nestjs/common';
import { ApprovalsService } from './approvals.service.js';
import type { Caller } from '@switchboard/platform';
import type { CommandData } from '@switchboard/protocol';
import { Command } from '../command.js';

/** NATS verbs for join requests, served by the rooms command subscription. */
@Injectable()
export class ApprovalsHandler {
  constructor(private readonly approvals: ApprovalsService) {}

  @Command('room.request_join')
  requestJoin(data: CommandData<'room.request_join'>, caller: Caller) {
    return this.approvals.request(caller, data);
  }

  @Command('room.approve')
  approve(data: CommandData<'room.approve'>, caller: Caller) {
    return this.approvals.approve(caller, data);
  }

  @Command('room.reject')
  reject(data: CommandData<'room.reject'>, caller: Caller) {
    return this.approvals.reject(caller, data);
  }
}
