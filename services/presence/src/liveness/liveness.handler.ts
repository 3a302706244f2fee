import { Injectable } from '@nestjs/common';
import type { DomainHandlers } from '@switchboard/platform';
import { LivenessService } from './liveness.service.js';

/** NATS entry for gateways' internal `liveness.report` (not a client verb; schema in INTERNAL_COMMANDS). */
@Injectable()
export class LivenessHandler {
  constructor(private readonly liveness: LivenessService) {}

  handlers(): DomainHandlers<'presence', 'liveness'> {
    return { 'liveness.report': (data) => this.liveness.report(data) };
  }
}
