/** Bytes `value` takes as JSON (UTF-8), the way replies and events are encoded on the bus. */
export const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? '');

/**
 * How many of `items`, in order, fit into `budget` bytes of JSON; at least one when there is
 * any, so a page always moves on (single items are capped by the protocol schemas far below
 * any budget).
 */
export function fitToBudget<T>(items: readonly T[], budget: number, size: (item: T) => number = jsonBytes): number {
  let used = 0;
  for (let i = 0; i < items.length; i++) {
    used += size(items[i]);
    if (used > budget && i > 0) return i;
  }
  return items.length;
}
