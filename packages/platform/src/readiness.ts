/** Named dependency checks behind /readyz; draining flips readiness off before shutdown. */
export class Readiness {
  private readonly checks = new Map<string, () => Promise<boolean> | boolean>();
  draining = false;

  add(name: string, check: () => Promise<boolean> | boolean): void {
    this.checks.set(name, check);
  }

  async report(timeoutMs = 1000): Promise<{ ready: boolean; checks: Record<string, boolean> }> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        const timeout = new Promise<boolean>((resolve) => setTimeout(resolve, timeoutMs, false).unref());
        const ok = await Promise.race([Promise.resolve().then(check).catch(() => false), timeout]);
        return [name, ok] as const;
      }),
    );
    const checks = Object.fromEntries(entries);
    if (this.draining) checks.draining = false;
    return { ready: Object.values(checks).every(Boolean), checks };
  }
}
