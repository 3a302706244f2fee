import { createHmac } from 'node:crypto';

/**
 * TURN REST API credentials (draft-uberti-behave-turn-rest, coturn `use-auth-secret`):
 * username `<unix expiry>:<user id>`, credential base64(HMAC-SHA1(secret, username)).
 * Any TURN server holding the secret verifies them; nothing is stored or shared per user.
 */
export function turnCredentials(secret: string, userId: string, ttlSeconds: number, nowMs = Date.now()): { username: string; credential: string; expiresAt: number } {
  const expiry = Math.floor(nowMs / 1000) + ttlSeconds;
  const username = `${expiry}:${userId}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential, expiresAt: expiry * 1000 };
}
