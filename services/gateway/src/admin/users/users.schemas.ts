import { Id, Text } from '@switchboard/protocol';
import { z } from 'zod';

export const UserParams = z.object({ userId: Id });

export const DisconnectBody = z.object({ connectionId: Id.optional(), reason: Text(0, 200).optional() });

export const PresenceSchema = z.object({
  userId: z.string(),
  status: z.enum(['online', 'away', 'busy', 'offline']),
  text: z.string(),
  lastSeen: z.number().int().describe('milliseconds since the Unix epoch; 0 when never seen'),
  devices: z.array(z.string()),
});

export const SessionSchema = z.object({
  connectionId: z.string(),
  userId: z.string(),
  sessionId: z.string(),
  device: z.string(),
  nodeId: z.string().describe('gateway replica holding the socket'),
  connectedAt: z.number().int(),
});

export const SessionList = z.object({ sessions: z.array(SessionSchema) });
export const Disconnected = z.object({ disconnected: z.number().int().describe('connections closed') });
