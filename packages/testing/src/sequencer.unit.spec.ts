import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TestSpecification, Vitest } from 'vitest/node';
import { FirstTheLongest, LONGEST_FILES } from './sequencer.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const spec = (file: string) => ({ moduleId: join(ROOT, file), project: { name: 'integration' } }) as unknown as TestSpecification;

/** vitest's context as BaseSequencer reads it: a results cache (durations), file sizes. */
const ctx = (durations: Record<string, number>) =>
  ({
    config: { root: ROOT.replace(/\/$/, '') },
    cache: {
      getFileTestResults: (key: string) => (key.split(':')[1]! in durations ? { failed: false, duration: durations[key.split(':')[1]!] } : undefined),
      getFileStats: () => undefined,
    },
  }) as unknown as Vitest;

describe('FirstTheLongest', () => {
  it('names only files that exist (a renamed file would silently lose its head start)', () => {
    for (const f of LONGEST_FILES) expect(existsSync(join(ROOT, f)), f).toBe(true);
  });

  it('starts the listed files first in their order, then the rest in vitest’s order (longest cached first)', async () => {
    const rest = ['a.spec.ts', 'b.spec.ts', 'c.spec.ts'];
    const files = [rest[0]!, LONGEST_FILES[2]!, rest[1]!, LONGEST_FILES[0]!, rest[2]!];
    const sorted = await new FirstTheLongest(ctx({ 'a.spec.ts': 1, 'b.spec.ts': 3, 'c.spec.ts': 2, [LONGEST_FILES[0]!]: 1, [LONGEST_FILES[2]!]: 1 })).sort(files.map(spec));
    expect(sorted.map((s) => s.moduleId.slice(ROOT.length))).toEqual([LONGEST_FILES[0], LONGEST_FILES[2], 'b.spec.ts', 'c.spec.ts', 'a.spec.ts']);
  });
});
