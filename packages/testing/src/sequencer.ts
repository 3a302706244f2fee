import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files that take far longer than the rest (Chromium, LiveKit, service processes spawned and
 * killed, grace timers waited out), longest first. A worker takes the next file in order when
 * it is free: started first, they run beside the many short files instead of ending the run
 * alone on one worker (ADR 0077). Measured per file in .run/vitest-report.json; a file missing
 * here is only scheduled later, never skipped.
 */
export const LONGEST_FILES = [
  'test/e2e/browser.spec.ts',
  'test/e2e/attestation.spec.ts',
  'services/media/src/calls/calls.spec.ts',
  'test/e2e/npm-start.spec.ts',
  'services/media/src/sfu/sfu.spec.ts',
];

/**
 * LONGEST_FILES first, in that order; then vitest's own order (failed first, then longest by
 * its cached durations, then largest files: on a clean clone there is no cache).
 */
export class FirstTheLongest extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const i = LONGEST_FILES.findIndex((f) => spec.moduleId.endsWith(`/${f}`));
      return i < 0 ? LONGEST_FILES.length : i;
    };
    // Array.prototype.sort is stable: the rest keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
