import { afterEach, describe, expect, it, vi } from 'vitest';
import { Emitter } from './emitter.js';

class E extends Emitter<{ ev: [n: number] }> {
  fire(n: number) {
    this.emit('ev', n);
  }
}

describe('Emitter', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('once() runs for the next emission only, and its returned off cancels it before', () => {
    const e = new E();
    const got: number[] = [];
    e.once('ev', (n) => got.push(n));
    const off = e.once('ev', (n) => got.push(n * 100));
    off();
    e.fire(1);
    e.fire(2);
    expect(got).toEqual([1]);
  });

  it('a throwing handler is reported (reportError when present, else console.error) and the others still run', () => {
    const e = new E();
    const got: number[] = [];
    const boom = new Error('app bug');
    e.on('ev', () => {
      throw boom;
    });
    e.on('ev', (n) => got.push(n));
    const reported: unknown[] = [];
    vi.stubGlobal('reportError', (err: unknown) => reported.push(err));
    e.fire(1);
    expect(reported).toEqual([boom]);
    vi.stubGlobal('reportError', undefined);
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    e.fire(2);
    expect(logged).toHaveBeenCalledWith(boom);
    logged.mockRestore();
    expect(got).toEqual([1, 2]);
  });
});
