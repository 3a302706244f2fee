import { z } from 'zod';
import { Id } from './common.js';

/**
 * `sb.sys.conn.gone`: presence's notice that a connection is gone (closed, or its gateway died).
 * Published by presence, consumed by rooms (seats) and media (calls, chunk sources).
 */
export const ConnGone = z.object({
  connectionId: Id,
  userId: Id,
  sessionId: z.string().max(64).default(''),
  nodeId: z.string().max(128).default(''),
  reason: z.string().max(200).default(''),
});
export type ConnGone = z.output<typeof ConnGone>;
