import { z } from 'zod';
import { AuditPage, AuditQuery } from './audit/audit.schemas.js';
import { CallDetail, CallPage, CallParams, ListCallsQuery } from './calls/calls.schemas.js';
import { route } from './http/route.js';
import { ListRoomsQuery, ParticipantList, RemoveUserBody, RoomClosed, RoomDetail, RoomPage, RoomParams, UserRemoved } from './rooms/rooms.schemas.js';
import { SfuMuteBody, SfuMuted, SfuParticipantList, SfuParticipantParams, SfuRemoved } from './sfu/sfu.schemas.js';
import { MintedToken, MintTokenBody } from './tokens/tokens.schemas.js';
import { DisconnectBody, Disconnected, PresenceSchema, SessionList, UserParams } from './users/users.schemas.js';

const removal = (action: 'room.kick' | 'room.ban', summary: string, operationId: string) =>
  route({
    operationId,
    method: 'post',
    path: `/rooms/{roomId}/${action === 'room.kick' ? 'kick' : 'ban'}`,
    tag: 'rooms',
    summary,
    params: RoomParams,
    body: RemoveUserBody,
    status: 200,
    response: UserRemoved,
    audit: { action, target: ({ params, body }) => `${params.roomId}/${body?.userId ?? ''}`, details: ({ body }) => ({ reason: body.reason }) },
  });

/**
 * Every admin endpoint, once. Controllers register their methods from these entries
 * (`@AdminRoute`), the interceptor validates and audits by them, and the OpenAPI document
 * is generated from them, so the three cannot drift apart.
 */
export const adminRoutes = {
  listRooms: route({ operationId: 'listRooms', method: 'get', path: '/rooms', tag: 'rooms', summary: 'List rooms, newest first (cursor paging)', query: ListRoomsQuery, status: 200, response: RoomPage }),
  getRoom: route({ operationId: 'getRoom', method: 'get', path: '/rooms/{roomId}', tag: 'rooms', summary: 'A room and its live participants', params: RoomParams, status: 200, response: RoomDetail }),
  closeRoom: route({
    operationId: 'closeRoom',
    method: 'delete',
    path: '/rooms/{roomId}',
    tag: 'rooms',
    summary: 'Close a room: members get `room.closed`',
    params: RoomParams,
    status: 200,
    response: RoomClosed,
    audit: { action: 'room.close', target: ({ params }) => params.roomId },
  }),
  listParticipants: route({ operationId: 'listParticipants', method: 'get', path: '/rooms/{roomId}/participants', tag: 'rooms', summary: 'Live participants of a room', params: RoomParams, status: 200, response: ParticipantList }),
  kickUser: removal('room.kick', 'Remove a user from a room: they get `room.removed` and may rejoin', 'kickUser'),
  banUser: removal('room.ban', 'Remove a user from a room and bar them from rejoining', 'banUser'),
  getPresence: route({ operationId: 'getPresence', method: 'get', path: '/users/{userId}/presence', tag: 'users', summary: "A user's presence (status, devices, last seen)", params: UserParams, status: 200, response: PresenceSchema }),
  listSessions: route({ operationId: 'listSessions', method: 'get', path: '/users/{userId}/sessions', tag: 'users', summary: "A user's live connections and the gateway holding each", params: UserParams, status: 200, response: SessionList }),
  disconnectUser: route({
    operationId: 'disconnectUser',
    method: 'post',
    path: '/users/{userId}/disconnect',
    tag: 'users',
    summary: "Close one connection (connectionId) or all of a user's connections (WebSocket close 4003)",
    params: UserParams,
    body: DisconnectBody,
    status: 200,
    response: Disconnected,
    audit: { action: 'user.disconnect', target: ({ params }) => params.userId, details: ({ body }, result) => ({ connectionId: body.connectionId, reason: body.reason, disconnected: result?.disconnected }) },
  }),
  listCalls: route({
    operationId: 'listCalls',
    method: 'get',
    path: '/calls',
    tag: 'calls',
    summary: 'The call log, newest first: filter by room, user, time range and outcome (cursor paging)',
    query: ListCallsQuery,
    status: 200,
    response: CallPage,
  }),
  getCall: route({ operationId: 'getCall', method: 'get', path: '/calls/{callId}', tag: 'calls', summary: 'One call of the call log, with its parties', params: CallParams, status: 200, response: CallDetail }),
  listSfuParticipants: route({
    operationId: 'listSfuParticipants',
    method: 'get',
    path: '/rooms/{roomId}/sfu/participants',
    tag: 'sfu',
    summary: "The room's LiveKit participants (identity `<userId>:<connectionId>`) and their tracks",
    params: RoomParams,
    status: 200,
    response: SfuParticipantList,
  }),
  muteSfuParticipant: route({
    operationId: 'muteSfuParticipant',
    method: 'post',
    path: '/rooms/{roomId}/sfu/participants/{identity}/mute',
    tag: 'sfu',
    summary: "Mute a LiveKit participant's published tracks and revoke publishing (muted:false allows it again); the room membership is unchanged",
    params: SfuParticipantParams,
    body: SfuMuteBody,
    status: 200,
    response: SfuMuted,
    audit: { action: 'sfu.mute', target: ({ params }) => `${params.roomId}/${params.identity}`, details: ({ body }, result) => ({ muted: body.muted, tracksMuted: result?.tracksMuted }) },
  }),
  removeSfuParticipant: route({
    operationId: 'removeSfuParticipant',
    method: 'delete',
    path: '/rooms/{roomId}/sfu/participants/{identity}',
    tag: 'sfu',
    summary: 'Disconnect a participant from the LiveKit session (a kick from the room also does this)',
    params: SfuParticipantParams,
    status: 200,
    response: SfuRemoved,
    audit: { action: 'sfu.remove', target: ({ params }) => `${params.roomId}/${params.identity}` },
  }),
  mintToken: route({
    operationId: 'mintToken',
    method: 'post',
    path: '/tokens',
    tag: 'tokens',
    summary: 'Mint an HS256 client JWT for a user',
    body: MintTokenBody,
    status: 201,
    response: MintedToken,
    audit: { action: 'token.mint', target: ({ body }) => body?.userId, details: ({ body }) => ({ name: body.name, device: body.device, roles: body.roles, ttlSeconds: body.ttlSeconds }) },
  }),
  listAudit: route({ operationId: 'listAudit', method: 'get', path: '/audit', tag: 'audit', summary: 'Audit log of admin mutations, newest first', query: AuditQuery, status: 200, response: AuditPage }),
  openapi: route({ operationId: 'openapi', method: 'get', path: '/openapi.json', tag: 'meta', summary: 'This OpenAPI 3.1 document', status: 200, response: z.looseObject({ openapi: z.string() }), auth: false }),
};

export type AdminRoutes = typeof adminRoutes;
