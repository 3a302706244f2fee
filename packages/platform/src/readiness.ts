/** Named dependency checks behind /readyz; draining flips readiness off before shutdown. */
export class Readiness {
  private readonly checks = new Map<string, () => Promise<boolean> | boolean>();
  private readonly notes = new Map<string, string>();
  draining = false;

  /** A fact shown on /readyz that does not decide readiness (e.g. why an optional dependency is off). */
  note(name: string, text: string): void {
    this.notes.set(name, text);
  }

  add(name: string, check: () => Promise<boolean> | boolean): void {
    this.checks.set(name, check);
  }

  async report(timeoutMs = 1000): Promise<{ ready: boolean; checks: Record<string, boolean>; notes?: Record<string, string> }> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        const timeout = new Promise<boolean>((resolve) => setTimeout(resolve, timeoutMs, false).unref());
        const ok = await Promise.race([Promise.resolve().then(check).catch(() => false), timeout]);
        return [name, ok] as const;
      }),
    );
    const checks = Object.fromEntries(entries);
    if (this.draining) checks.draining = false;
    const ready = Object.values(checks).every(Boolean);
    return this.notes.size ? { ready, checks, notes: Object.fromEntries(this.notes) } : { ready, checks };
  }
}
