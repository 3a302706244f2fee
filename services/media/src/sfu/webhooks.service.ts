import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, LOGGER, type Logger } from '@switchboard/platform';
import { Id } from '@switchboard/protocol';
import { WebhookReceiver, type WebhookEvent } from 'livekit-server-sdk';
import { livekitSettings, type MediaConfig } from '../config.js';
import { SfuMetrics } from './sfu.metrics.js';
import { SfuService } from './sfu.service.js';
import { SfuStore } from './sfu.store.js';
import { parseIdentity, trackKind, trackSource } from './sfu.view.js';

export type WebhookOutcome = 'published' | 'duplicate' | 'ignored';

/** Why a webhook was refused: `unauthorized` → 401 (unsigned, tampered, stale or another key), `unconfigured` → 404. */
export class WebhookRejected extends Error {
  constructor(
    readonly reason: 'unauthorized' | 'unconfigured',
    message: string,
  ) {
    super(message);
  }
}

/**
 * LiveKit's webhooks: verified with WebhookReceiver (the JWT in `Authorization` signed with our
 * API secret, its `sha256` claim matching the body, not expired), deduplicated by event id
 * (LiveKit retries a delivery with the same id), then republished as room events in the
 * room's `seq` order (ADR 0006). A handling failure forgets the id and answers 5xx, so
 * LiveKit's retry gets another chance.
 */
@Injectable()
export class WebhooksService {
  private readonly receiver?: WebhookReceiver;

  constructor(
    private readonly sfu: SfuService,
    private readonly store: SfuStore,
    private readonly metrics: SfuMetrics,
    @Inject(CONFIG) private readonly config: MediaConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    const s = livekitSettings(config);
    if (s) this.receiver = new WebhookReceiver(s.apiKey, s.apiSecret);
  }

  async receive(body: string, authorization: string | undefined): Promise<WebhookOutcome> {
    if (!this.receiver) throw new WebhookRejected('unconfigured', 'no SFU is configured');
    let event: WebhookEvent;
    try {
      if (!authorization) throw new Error('no Authorization header');
      event = await this.receiver.receive(body, authorization);
    } catch (err) {
      this.metrics.webhooks.inc({ event: 'unknown', result: 'rejected' });
      this.logger.warn({ err: (err as Error).message }, 'refused a LiveKit webhook');
      throw new WebhookRejected('unauthorized', 'webhook signature invalid');
    }
    const name = event.event || 'unknown';
    if (!event.id || !(await this.store.firstDelivery(event.id, this.config.LIVEKIT_WEBHOOK_DEDUPE_S))) {
      this.metrics.webhooks.inc({ event: name, result: 'duplicate' });
      return 'duplicate';
    }
    if (event.createdAt) this.metrics.webhookLagSeconds.observe({ event: name }, Math.max(0, Date.now() / 1000 - Number(event.createdAt)));
    try {
      const outcome = await this.handle(event);
      this.metrics.webhooks.inc({ event: name, result: outcome });
      return outcome;
    } catch (err) {
      await this.store.forgetDelivery(event.id).catch(() => undefined);
      this.metrics.webhooks.inc({ event: name, result: 'failed' });
      throw err;
    }
  }

  private async handle(event: WebhookEvent): Promise<WebhookOutcome> {
    const roomId = event.room?.name;
    // Only rooms named like ours become room events (a name is part of a NATS subject).
    if (!roomId || !Id.safeParse(roomId).success) return 'ignored';
    const p = event.participant;
    const who = p ? parseIdentity(p.identity) : null;
    const participant = p && who ? { ...who, identity: p.identity, participantSid: p.sid } : undefined;
    switch (event.event) {
      case 'participant_joined':
        if (!p) return 'ignored';
        await this.sfu.participantJoined(roomId, p);
        return 'published';
      case 'participant_left':
      case 'participant_connection_aborted':
        if (!participant || !(await this.store.left(roomId, participant.identity))) return 'ignored';
        await this.sfu.publish(roomId, 'media.participant_left', { ...participant, reason: 'left' });
        return 'published';
      case 'track_published':
      case 'track_unpublished': {
        if (!participant || !event.track) return 'ignored';
        const t = event.track;
        const type = event.event === 'track_published' ? 'media.track_published' : 'media.track_unpublished';
        await this.sfu.publish(roomId, type, { ...participant, trackSid: t.sid, kind: trackKind(t), source: trackSource(t), muted: t.muted });
        return 'published';
      }
      case 'room_finished':
        for (const k of await this.store.participants(roomId)) {
          if (await this.store.left(roomId, k.identity)) await this.sfu.publish(roomId, 'media.participant_left', { ...k, reason: 'left' });
        }
        await this.store.roomGone(roomId);
        await this.sfu.publish(roomId, 'media.room_finished', { roomId });
        return 'published';
      default:
        return 'ignored';
    }
  }
}
