import { Injectable } from '@nestjs/common';
import type { CommandHandlers } from '@switchboard/platform';
import { ApprovalsService } from './approvals.service.js';

/** NATS verbs for join requests, served by the rooms command subscription. */
@Injectable()
export class ApprovalsHandler {
  constructor(private readonly approvals: ApprovalsService) {}

  commands(): Pick<CommandHandlers<'rooms'>, 'room.request_join' | 'room.approve' | 'room.reject'> {
    return {
      'room.request_join': (data, caller) => this.approvals.request(caller, data),
      'room.approve': (data, caller) => this.approvals.approve(caller, data),
      'room.reject': (data, caller) => this.approvals.reject(caller, data),
    };
  }
}
