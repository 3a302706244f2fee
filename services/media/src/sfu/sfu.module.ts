import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { CONFIG } from '@switchboard/platform';
import { CallsModule } from '../calls/calls.module.js';
import { livekitSettings, type MediaConfig } from '../config.js';
import { MediaPlatformModule } from '../platform.module.js';
import { RoomsClientModule } from '../rooms/rooms.module.js';
import { LivekitClient } from './livekit.client.js';
import { LivekitSfu } from './livekit.sfu.js';
import { NoSfu, SfuAccess } from './sfu.access.js';
import { SfuHandler } from './sfu.handler.js';
import { SfuMetrics } from './sfu.metrics.js';
import { SfuService } from './sfu.service.js';
import { SfuStore } from './sfu.store.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksService } from './webhooks.service.js';

/**
 * LiveKit: tokens (`media.token`), enforcement of room access, webhooks and reconcile.
 * Global for one export, the `SfuAccess` seam: SFU-mode calls need it while this module
 * needs CallsService (an SFU session ending ends its calls), so CallsModule reads it without
 * importing this module. `access` replaces the seam (tests).
 */
@Module({})
export class SfuModule {
  static register(access?: SfuAccess): DynamicModule {
    // LiveKit when it is configured; otherwise SFU requests answer `unavailable` saying why.
    const seam: Provider = access
      ? { provide: SfuAccess, useValue: access }
      : { provide: SfuAccess, inject: [CONFIG, LivekitSfu], useFactory: (c: MediaConfig, lk: LivekitSfu) => (livekitSettings(c) ? lk : new NoSfu(c.LIVEKIT_UNAVAILABLE_REASON)) };
    return {
      module: SfuModule,
      global: true,
      imports: [CallsModule, MediaPlatformModule, RoomsClientModule],
      controllers: [WebhooksController],
      providers: [SfuMetrics, SfuStore, LivekitClient, LivekitSfu, seam, SfuService, WebhooksService, SfuHandler],
      exports: [SfuAccess, SfuHandler],
    };
  }
}
