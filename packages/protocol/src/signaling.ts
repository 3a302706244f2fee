import { z } from 'zod';
import { Id, SignalKind } from './common.js';
import { Empty } from './views.js';

const PairCode = z.string().min(4).max(16).regex(/^[A-Za-z0-9]+$/);

export const signaling = {
  signal: {
    service: 'gateway', reply: Empty,
    doc: 'Relays an opaque WebRTC signal to a connection sharing a room or paired with the sender. `roomId` is required unless the two connections are paired (ADR 0015): without it and without a pairing the answer is `forbidden`. `to` is a connection id, and connection ids change when a session resumes: re-target on `room.participant_updated`. `signal.ok` means delivered for the first signal to a (target, room) and whenever the target has not accepted a signal from this connection within the last seconds; a signal of any kind to a target that has is relayed without waiting, and a refusal or a target gone arrives later as `signal.failed` (ADRs 0056, 0066). A frame without `id` gets no `signal.ok` (errors still arrive, without `re`).',
    schema: z.object({
      to: Id.describe('The target connection id (a participant\'s `connectionId`; it changes on resume, see `room.participant_updated`).'),
      roomId: Id.optional().describe('The room both connections are seated in; required unless they are paired.'),
      kind: SignalKind,
      payload: z.unknown(),
    }),
  },
  'pair.register': { service: 'gateway', reply: z.strictObject({ code: z.string() }), doc: 'Gets a short pairing code valid while connected.', schema: z.object({ publicKey: z.string().max(1000).optional() }).optional() },
  'pair.request': { service: 'gateway', reply: z.strictObject({ requestId: Id }), doc: 'Asks the owner of a code to pair.', schema: z.object({ code: PairCode, message: z.string().max(500).optional() }) },
  'pair.accept': { service: 'gateway', reply: Empty, doc: 'Accepts a pairing request.', schema: z.object({ requestId: Id }) },
  'pair.reject': { service: 'gateway', reply: Empty, doc: 'Rejects a pairing request.', schema: z.object({ requestId: Id }) },
} as const;
