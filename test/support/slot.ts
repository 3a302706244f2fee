import { inject } from 'vitest';
import type { InfraSlot } from './infra.js';

/**
 * This worker's private NATS, Redis and databases (ADR 0018). vitest numbers its workers
 * VITEST_POOL_ID = 1..maxWorkers and runs one file per worker at a time, so two files running
 * at once never share a slot.
 */
export function slot(): InfraSlot {
  const slots = inject('infraSlots');
  const id = Number(process.env.VITEST_POOL_ID ?? '1');
  const s = slots[id - 1];
  if (!s) throw new Error(`no infrastructure slot for vitest worker ${id} (${slots.length} started): maxWorkers changed after global setup?`);
  return s;
}
