export type { IceServerView, ParticipantView, RoomView } from './views.js';
export type { HelloData } from './events.js';

export interface ServerEvent<D = Record<string, unknown>> {
  type: string;
  room?: string;
  seq?: number;
  ts: number;
  data: D;
}

export interface ReplyFrame<D = Record<string, unknown>> {
  re: string;
  type: string;
  data?: D;
  error?: { code: string; message: string; retryAfterMs?: number; [k: string]: unknown };
}
