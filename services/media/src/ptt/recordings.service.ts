import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { LOGGER, type Logger } from '@switchboard/platform';
import { badRequest, type PttRecordRequest } from '@switchboard/protocol';
import { RoomsClient } from '../rooms/rooms.client.js';
import { muxOggOpus } from './ogg-opus.js';
import { PttMetrics } from './ptt.metrics.js';

/**
 * Recordings of push-to-talk spurts (ADR 0054): the gateway that relayed a talk hands its Opus
 * packets over when the talk ends; this muxes them into an Ogg/Opus file and has rooms store it
 * and post it as the speaker's `voice` message (rooms owns object storage and chat).
 */
@Injectable()
export class RecordingsService {
  constructor(
    private readonly rooms: RoomsClient,
    private readonly metrics: PttMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async record(talk: PttRecordRequest): Promise<{ messageId: string; attachmentId: string; durationMs: number; size: number }> {
    const packets = talk.packets.map((p) => Buffer.from(p, 'base64'));
    // The serial only has to differ between streams that could be chained; the talk id's hash does.
    const serial = createHash('sha256').update(talk.talkId).digest().readUInt32LE(0);
    let file: ReturnType<typeof muxOggOpus>;
    try {
      file = muxOggOpus(packets, { serial });
    } catch (err) {
      this.metrics.recordings.inc({ outcome: 'invalid' });
      throw badRequest(`not an Opus stream: ${(err as Error).message}`);
    }
    try {
      const posted = await this.rooms.postVoiceMessage({
        roomId: talk.roomId,
        userId: talk.userId,
        talkId: talk.talkId,
        ogg: Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength),
        durationMs: file.durationMs,
        startedAtMs: talk.startedAt,
      });
      this.metrics.recordings.inc({ outcome: 'posted' });
      this.metrics.recordedSeconds.inc(file.durationMs / 1000);
      this.logger.info({ roomId: talk.roomId, talkId: talk.talkId, packets: packets.length, durationMs: file.durationMs, bytes: file.bytes.length, messageId: posted.messageId }, 'talk recorded');
      return { messageId: posted.messageId, attachmentId: posted.attachmentId, durationMs: file.durationMs, size: Number(posted.size) };
    } catch (err) {
      this.metrics.recordings.inc({ outcome: 'failed' });
      throw err;
    }
  }
}
