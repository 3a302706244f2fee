import { Injectable } from '@nestjs/common';
import { LivenessService } from './liveness.service.js';
import type { ReplyOf, RequestData } from '@switchboard/protocol';
import { Command } from '../command.js';

/** NATS entry for gateways' internal `liveness.report` (not a client verb; schema in INTERNAL_COMMANDS). */
@Injectable()
export class LivenessHandler {
  constructor(private readonly liveness: LivenessService) {}

  @Command('liveness.report')
  report(data: RequestData<'presence', 'liveness.report'>): Promise<ReplyOf<'presence', 'liveness.report'>> {
    return this.liveness.report(data);
  }
}
