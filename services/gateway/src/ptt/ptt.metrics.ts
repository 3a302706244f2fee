import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from '@switchboard/platform';

/** Push-to-talk audio relayed by this gateway replica (sum across replicas). */
@Injectable()
export class PttMetrics {
  readonly talks: Counter<'reason'>;
  readonly frames: Counter<'outcome'>;
  readonly bytesRelayed: Counter;
  readonly active: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.talks = new Counter({ name: 'switchboard_ptt_talk_spurts_total', help: 'Talk spurts with audio that ended, by reason (released, timeout, disconnected, left, limit)', labelNames: ['reason'], registers });
    this.frames = new Counter({
      name: 'switchboard_ptt_frames_total',
      help: 'ptt.audio frames by outcome: relayed, forbidden (not the floor holder), rate_limited, too_large, bad_request, limit (the talk reached its cap)',
      labelNames: ['outcome'],
      registers,
    });
    this.bytesRelayed = new Counter({ name: 'switchboard_ptt_audio_bytes_relayed_total', help: 'Opus bytes of ptt.audio frames relayed to room members', registers });
    this.active = new Gauge({ name: 'switchboard_ptt_talks_active', help: 'Floor grants of local connections (talks that may send audio now)', registers });
  }
}
