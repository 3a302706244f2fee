import { Inject } from '@nestjs/common';
import { CONFIG } from '@switchboard/platform';
import type { GatewayConfig } from '../../config.js';
import { AdminController } from '../http/admin-controller.js';
import { AdminRoute } from '../http/route.js';
import { adminRoutes } from '../routes.js';
import { buildOpenApi } from './openapi.js';

@AdminController()
export class OpenApiController {
  private doc?: Record<string, unknown>;

  constructor(@Inject(CONFIG) private readonly config: GatewayConfig) {}

  /** Served without credentials. */
  @AdminRoute(adminRoutes.openapi)
  get() {
    return (this.doc ??= buildOpenApi(Object.values(adminRoutes), this.config.VERSION));
  }
}
