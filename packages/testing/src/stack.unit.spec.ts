import type { ServiceHandle } from '@switchboard/platform';
import { describe, expect, it, vi } from 'vitest';
import { Stack } from './stack.js';

const handle = () => ({ stop: vi.fn(async () => undefined) }) as unknown as ServiceHandle<unknown> & { stop: ReturnType<typeof vi.fn> };

describe('Stack', () => {
  it('stops what it tracks in reverse order', async () => {
    const stack = new Stack();
    const order: string[] = [];
    stack.onStop(async () => void order.push('first'));
    stack.onStop(async () => void order.push('second'));
    await stack.stop();
    expect(order).toEqual(['second', 'first']);
  });

  it('once stopped, stops a late start at once and throws (a timed-out test must not leave it to the next file)', async () => {
    const stack = new Stack();
    await stack.stop();
    const late = handle();
    await expect(stack.add(Promise.resolve(late))).rejects.toThrow(/started after its stack was stopped/);
    expect(late.stop).toHaveBeenCalledOnce();
    const fn = vi.fn(async () => undefined);
    expect(() => stack.onStop(fn)).toThrow(/started after its stack was stopped/);
    expect(fn).toHaveBeenCalledOnce();
  });
});
