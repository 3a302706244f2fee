import { Module } from '@nestjs/common';
import { ConnectionsModule } from '../connections/connections.module.js';
import { SubscriptionsModule } from '../routing/subscriptions.module.js';
import { PresenceInterest } from './presence.interest.js';
import { PresenceReporter } from './presence.reporter.js';

/** Presence at the gateway: reports of local connections to the presence service, and presence interest subscriptions. */
@Module({ imports: [SubscriptionsModule, ConnectionsModule], providers: [PresenceInterest, PresenceReporter], exports: [PresenceReporter] })
export class PresenceModule {}
