/** Gives back interest taken by `subscribeFirst`'s `take`. */
export type GiveBack = () => void;

/**
 * Subscribe first, send, release on failure: takes local interest (NATS subscriptions, a
 * watcher slot) before the request goes out, so nothing published between the service's
 * snapshot and our subscription can be missed, and gives it back when the request fails.
 */
export async function subscribeFirst<T>(take: () => GiveBack, send: () => Promise<T>): Promise<T> {
  const giveBack = take();
  try {
    return await send();
  } catch (err) {
    giveBack();
    throw err;
  }
}
