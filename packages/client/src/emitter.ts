type Handler = (...args: any[]) => void;

/** A tiny typed event emitter that runs in browsers and Node (no `node:events`). */
export class Emitter<M extends Record<string, unknown[]>> {
  private readonly handlers = new Map<keyof M, Set<Handler>>();

  /** Adds a handler; returns a function that removes it. */
  on<K extends keyof M>(event: K, handler: (...args: M[K]) => void): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler as Handler);
    return () => this.off(event, handler);
  }

  /** Like on(), for the next emission only. */
  once<K extends keyof M>(event: K, handler: (...args: M[K]) => void): () => void {
    const off = this.on(event, (...args: M[K]) => {
      off();
      handler(...args);
    });
    return off;
  }

  off<K extends keyof M>(event: K, handler: (...args: M[K]) => void): void {
    this.handlers.get(event)?.delete(handler as Handler);
  }

  protected emit<K extends keyof M>(event: K, ...args: M[K]): void {
    for (const h of [...(this.handlers.get(event) ?? [])]) {
      try {
        h(...args);
      } catch (err) {
        // An app handler that throws must not break delivery to the others or the SDK's state.
        const report = (globalThis as { reportError?: (e: unknown) => void }).reportError;
        if (report) report(err);
        else console.error(err);
      }
    }
  }
}
