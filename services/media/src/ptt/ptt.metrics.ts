import { Injectable } from '@nestjs/common';
import { Counter, Registry } from '@switchboard/platform';

/** Push-to-talk recordings, counted by the media replica that muxed them (sum across replicas). */
@Injectable()
export class PttMetrics {
  readonly recordings: Counter<'outcome'>;
  readonly recordedSeconds: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.recordings = new Counter({ name: 'switchboard_ptt_recordings_total', help: 'Talk spurts recorded, by outcome: posted (voice message stored), invalid (not Opus), failed (rooms or storage refused)', labelNames: ['outcome'], registers });
    this.recordedSeconds = new Counter({ name: 'switchboard_ptt_recorded_seconds_total', help: 'Playback seconds of the voice messages posted', registers });
  }
}
