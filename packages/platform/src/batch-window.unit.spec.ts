import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FlushWindow } from './batch-window.js';

describe('FlushWindow', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('flushes once per window, windowMs after the first request', () => {
    let flushes = 0;
    const w = new FlushWindow(50, () => flushes++);
    w.request();
    vi.advanceTimersByTime(30);
    w.request();
    expect(flushes).toBe(0);
    vi.advanceTimersByTime(20);
    expect(flushes).toBe(1);
    expect(w.scheduled).toBe(false);
    w.request();
    w.cancel();
    vi.advanceTimersByTime(100);
    expect(flushes).toBe(1);
  });

  it('with windowMs 0 flushes at the end of the event-loop turn', () => {
    let flushes = 0;
    const w = new FlushWindow(0, () => flushes++);
    w.request();
    w.request();
    expect(flushes).toBe(0);
    vi.runOnlyPendingTimers();
    expect(flushes).toBe(1);
  });
});
