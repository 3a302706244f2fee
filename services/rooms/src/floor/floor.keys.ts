/**
 * The floor lease's Redis layout, shared on purpose with the rooms domain: session.resume moves
 * a seat and the lease it holds in one script (ADR 0070), which works because the lease shares
 * the room's slot (docs/decisions/0031). Kept out of floor.store.ts so that no other domain
 * imports the floor's store (ADR 0074); the store itself stays private to the floor domain.
 */
export const floorKey = (roomId: string) => `sb:{room:${roomId}}:floor`;

/**
 * Lua that moves the lease in `key` from connection `from` to `to` under a new talk `talk` (the
 * old talk ended with its connection); the arguments are Lua expressions. The session resume's
 * seat move runs it in the same script (ParticipantsStore.resume): the lease shares the room's slot.
 */
export const floorMoveLua = (key: string, from: string, to: string, talk: string) => `
local floor = redis.call('GET', ${key})
if floor then
  local h = cjson.decode(floor)
  if h.connectionId == ${from} then
    h.connectionId = ${to}
    h.talkId = ${talk}
    redis.call('SET', ${key}, cjson.encode(h))
  end
end
`;
