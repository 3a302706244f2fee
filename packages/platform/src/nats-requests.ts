import type { NatsConnection } from '@nats-io/transport-node';

/** The part of nats.js's RequestOne (nats-core 3.x) this touches. */
interface RequestOne {
  resolver(err: Error | null, msg: unknown): void;
  deferred?: { resolve(msg: unknown): void };
  mux?: { cancel(r: RequestOne): void };
  timer?: { cancel(): void };
}

const PATCHED = Symbol('sb.requestResolvedWithoutError');

/**
 * Settles a successful request without building an Error (ADR 0088).
 *
 * nats.js's `RequestOne.resolver` ends every request with `cancel()`, which rejects the (already
 * resolved) promise with `new RequestError("cancelled")`: a stack trace captured per successful
 * request for nothing (`noAsyncTraces` does not cover it). It was 2.3–2.4 % of each gateway's
 * busy time in the join storm's profile (one `room.join` request per join). The success path
 * here does what `cancel` does minus that Error: stop the timer, resolve, leave the mux; errors
 * keep nats.js's own path. The class is reached through the connection's first request
 * (`protocol.request(r)`), not imported: nats-core's internals are no public API. When they are
 * not there (a nats.js upgrade changed them) nothing changes and `false` says so.
 */
export function requestsResolveWithoutError(nc: NatsConnection): boolean {
  const protocol = (nc as unknown as { protocol?: { request?: (r: RequestOne) => unknown } }).protocol;
  if (typeof protocol?.request !== 'function') return false;
  const request = protocol.request.bind(protocol);
  protocol.request = (r: RequestOne) => {
    patchResolver(Object.getPrototypeOf(r) as RequestOne & { [PATCHED]?: true });
    return request(r);
  };
  return true;
}

function patchResolver(proto: RequestOne & { [PATCHED]?: true }): void {
  if (proto[PATCHED] || typeof proto.resolver !== 'function') return;
  const resolver = proto.resolver;
  proto.resolver = function (this: RequestOne, err: Error | null, msg: unknown) {
    if (err || !this.deferred || !this.mux) return resolver.call(this, err, msg);
    this.timer?.cancel();
    this.deferred.resolve(msg);
    this.mux.cancel(this);
  };
  proto[PATCHED] = true;
}
