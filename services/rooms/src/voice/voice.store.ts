import { Injectable } from '@nestjs/common';
import { isUniqueViolation, PrismaClient } from '../db/prisma.provider.js';
import type { MessageRow } from '../chat/chat.store.js';

/** A voice message's recording as stored in `messages.voice` and shown in MessageView.voice. */
export interface VoiceInfo {
  attachmentId: string;
  talkId: string;
  durationMs: number;
  size: number;
  contentType: 'audio/ogg';
}

export interface NewVoiceMessage {
  id: string;
  roomId: string;
  userId: string;
  text: string;
  createdAt: Date;
  voice: VoiceInfo;
  /** Object key of the recording (an attachment row of the message, so downloads, deletion and GC follow ADR 0035). */
  key: string;
}

/** Voice messages: a message row and its recording's attachment row, written together. */
@Injectable()
export class VoiceStore {
  constructor(private readonly prisma: PrismaClient) {}

  /** Inserts the message with its attachment unless this talk was posted already (retries); returns the stored one. */
  async createOnce(m: NewVoiceMessage): Promise<{ message: MessageRow; created: boolean }> {
    const clientMsgId = `voice:${m.voice.talkId}`;
    try {
      const message = await this.prisma.$transaction(async (tx) => {
        const row = await tx.message.create({
          data: { id: m.id, roomId: m.roomId, userId: m.userId, clientMsgId, text: m.text, kind: 'voice', voice: { ...m.voice }, attachments: [], createdAt: m.createdAt },
        });
        await tx.attachment.create({
          data: { id: m.voice.attachmentId, roomId: m.roomId, userId: m.userId, key: m.key, name: `${m.voice.talkId}.ogg`, size: m.voice.size, contentType: m.voice.contentType, messageId: row.id },
        });
        return row;
      });
      return { message: { ...message, reactions: [] }, created: true };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const stored = await this.prisma.message.findUniqueOrThrow({ where: { roomId_userId_clientMsgId: { roomId: m.roomId, userId: m.userId, clientMsgId } }, include: { reactions: true } });
      return { message: stored, created: false };
    }
  }

  /** Live voice messages created before `before`, oldest first (retention). */
  expired(before: Date, take: number): Promise<{ id: string; roomId: string }[]> {
    return this.prisma.message.findMany({ where: { kind: 'voice', createdAt: { lt: before }, deletedAt: null }, orderBy: { createdAt: 'asc' }, take, select: { id: true, roomId: true } });
  }
}
