import { Injectable } from '@nestjs/common';
import { LivenessService } from './liveness.service.js';
import { LIVENESS_REPORT, reportLivenessSchema } from './liveness.schema.js';
import type { CommandHandler } from '@switchboard/platform';
import type { z } from 'zod';

/** NATS entry for gateways' internal `liveness.report` (not a client verb). */
@Injectable()
export class LivenessHandler {
  constructor(private readonly liveness: LivenessService) {}

  handlers(): Record<string, CommandHandler> {
    return { [LIVENESS_REPORT]: (data) => this.liveness.report(data) };
  }

  schemas(): Record<string, z.ZodType> {
    return { [LIVENESS_REPORT]: reportLivenessSchema };
  }
}
