import type { Switchboard } from '../switchboard.js';

/** Push-to-talk around `floor.*`: press() takes the floor (or rejects `floor_busy` with `details.holder`), release() gives it back. */
export class PushToTalk {
  /** Who holds the floor now (from `floor.taken` / `floor.released`), or null. */
  holder: string | null = null;
  private readonly offs: (() => void)[];

  constructor(
    private readonly sb: Switchboard,
    readonly roomId: string,
  ) {
    this.offs = [
      sb.on('floor.taken', (d, e) => e.room === roomId && (this.holder = d.userId)),
      sb.on('floor.released', (d, e) => e.room === roomId && this.holder === d.userId && (this.holder = null)),
    ];
  }

  /** Takes the floor; resolves with when it lapses unless released. */
  async press(): Promise<{ expiresAt: number }> {
    const reply = await this.sb.request('floor.request', { roomId: this.roomId });
    this.holder = this.sb.userId;
    return reply;
  }

  async release(): Promise<void> {
    await this.sb.request('floor.release', { roomId: this.roomId });
    if (this.holder === this.sb.userId) this.holder = null;
  }

  /** Stops following the floor events. */
  dispose(): void {
    for (const off of this.offs) off();
  }
}
