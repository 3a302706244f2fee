import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { CommandBus, CONFIG, fitToBudget, LOGGER, publishSystemEvent, type Logger } from '@switchboard/platform';
import { LOBBY_LIMITS, ROOMS_CHANGED_TOPIC, RoomsChangedNotice, type CommandData, type RoomsChangedNoticeInput, type RoomView } from '@switchboard/protocol';
import type { RoomsConfig } from '../config.js';
import { RoomRecords } from '../rooms/room-records.service.js';
import { RoomSeats } from '../rooms/room-seats.service.js';
import { toRoomView } from '../rooms/rooms.view.js';
import { LobbyMarks } from './lobby.marks.js';

/** Room events that change what the registry shows: creation (the owner's join), counts, settings, closing. */
export const LOBBY_EVENTS: ReadonlySet<string> = new Set(['room.participant_joined', 'room.participant_left', 'room.updated', 'room.closed']);

/**
 * Live room registry, first stage (ADR 0024): rooms touched by a registry event are only
 * marked; once per LOBBY_INTERVAL_MS this replica reads their current state in one query and
 * publishes one `sb.sys.rooms.changed` notice (public rooms only), however many joins happened.
 */
@Injectable()
export class LobbyService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;

  constructor(
    private readonly bus: CommandBus,
    private readonly rooms: RoomRecords,
    private readonly participants: RoomSeats,
    @Inject(CONFIG) private readonly config: RoomsConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly marks: LobbyMarks,
  ) {}

  /** Rooms touched since the last flush, marked by the publisher (LobbyTrackingPublisher). */
  private get dirty(): Set<string> {
    return this.marks.dirty;
  }

  onApplicationBootstrap() {
    this.timer = setInterval(() => void this.flush(), this.config.LOBBY_INTERVAL_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown() {
    clearInterval(this.timer);
    // The last words: also what was marked while the previous flush ran.
    while (this.dirty.size) await this.flush();
  }

  /** Publishes the touched rooms' current state; one flush at a time. */
  flush(): Promise<void> {
    return (this.flushing ??= this.publish()
      .catch((err: Error) => this.logger.warn({ err: err.message }, 'room registry flush failed'))
      .finally(() => (this.flushing = undefined)));
  }

  /**
   * The rooms marked when the flush starts, in notices of at most `noticeMaxRooms`. Rooms marked
   * while it reads wait for the next interval (ADR 0088): re-reading them at once made a join
   * storm's flush run back to back — a query, the counts and a notice every few joins instead of
   * once per interval (0.09 notices per join at 2,000 clients).
   */
  private async publish(): Promise<void> {
    const all = [...this.dirty];
    this.dirty.clear();
    for (let i = 0; i < all.length; i += LOBBY_LIMITS.noticeMaxRooms) {
      const ids = all.slice(i, i + LOBBY_LIMITS.noticeMaxRooms);
      const rows = await this.rooms.byIds(ids);
      const live = rows.filter((r) => r.closedAt === null && r.visibility === 'public');
      const counts = await this.participants.userCounts(live.map((r) => r.id));
      const found = new Set(live.map((r) => r.id));
      // Closed (or gone) public rooms; private rooms never show, so their closing says nothing.
      const closed = ids.filter((id) => !found.has(id) && rows.find((r) => r.id === id)?.visibility !== 'private');
      let updated = live.map((r) => toRoomView(r, counts.get(r.id) ?? 0));
      // A notice stays well inside the bus limit: what does not fit goes in the next one.
      while (updated.length || closed.length) {
        const n = fitToBudget(updated, this.config.REPLY_MAX_BYTES);
        publishSystemEvent(this.bus, ROOMS_CHANGED_TOPIC, RoomsChangedNotice, { updated: updated.slice(0, n), closed: closed.splice(0) } as unknown as RoomsChangedNoticeInput);
        updated = updated.slice(n);
      }
    }
  }

  /** The `rooms.subscribe` snapshot: open public rooms matching the filter, newest first, within the reply budget. */
  async snapshot(data: CommandData<'rooms.subscribe'>): Promise<{ rooms: RoomView[]; truncated: boolean }> {
    const limit = data?.limit ?? LOBBY_LIMITS.snapshotMax;
    const rows = await this.rooms.publicRooms(data?.filter ?? {}, limit + 1);
    const capped = rows.slice(0, limit);
    const counts = await this.participants.userCounts(capped.map((r) => r.id));
    const views = capped.map((r) => toRoomView(r, counts.get(r.id) ?? 0));
    const page = views.slice(0, fitToBudget(views, this.config.REPLY_MAX_BYTES));
    return { rooms: page, truncated: rows.length > page.length };
  }
}
