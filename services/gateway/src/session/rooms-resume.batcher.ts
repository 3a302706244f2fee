import { Inject, Injectable } from '@nestjs/common';
import { CommandBus, CONFIG, serviceCaller, TurnBatcher, type Caller } from '@switchboard/platform';
import { ProtocolError, ROOMS_RESUME_BATCH_MAX, ROOMS_RESUME_BATCH_MAX_ROOMS, type RoomsResumeBatch, type RoomsResumeReply, type RoomsResumeRequest } from '@switchboard/protocol';
import type { GatewayConfig } from '../config.js';

type RoomsResume = RoomsResumeBatch['resumes'][number];
/** What a rooms replica without the batch verb answers (CommandBus: an unknown verb is `bad_request`). */
const UNKNOWN_VERB = 'unknown command session.resume_batch';

/**
 * The rooms half of `session.resume` (the seats move to the new connection), for every resume
 * this gateway received in one event-loop turn in one `sb.cmd.rooms.session.resume_batch`
 * (ADR 0081): in a reconnect storm one request per client was a NATS round trip, two spans and a
 * command envelope per resume in the gateway and in rooms. At most ROOMS_RESUME_BATCH_MAX
 * resumes and ROOMS_RESUME_BATCH_MAX_ROOMS rooms per request (a larger turn is split). Each
 * resume settles with its own reply or typed error (`session_live`, …), exactly as its own
 * `session.resume` request did; a batch that fails as a whole (`unavailable`) fails each of its
 * resumes with that error. A rooms replica without the batch verb gets one request per resume.
 */
@Injectable()
export class RoomsResumeBatcher {
  private readonly batcher: TurnBatcher<RoomsResume, RoomsResumeReply>;

  constructor(bus: CommandBus, @Inject(CONFIG) config: GatewayConfig) {
    // The gateway as the caller: each entry names its user and connection; the node is this one.
    const self = serviceCaller('gateway', config.NODE_ID);
    this.batcher = new TurnBatcher({
      max: ROOMS_RESUME_BATCH_MAX,
      weight: (r) => Object.keys(r.rooms).length,
      maxWeight: ROOMS_RESUME_BATCH_MAX_ROOMS,
      send: async (resumes) => {
        try {
          const { results } = await bus.request('rooms', 'session.resume_batch', self, { resumes });
          return results.map((r) => ('ok' in r ? r : { error: new ProtocolError(r.error.code, r.error.message, r.error.details) }));
        } catch (err) {
          if (!(err instanceof ProtocolError && err.code === 'bad_request' && err.message === UNKNOWN_VERB)) throw err;
          // A rooms replica older than the batch verb (rolling upgrade): one request per resume, as before.
          return Promise.all(
            resumes.map(({ userId, connectionId, ...data }) =>
              bus.request('rooms', 'session.resume', { ...self, userId, connectionId }, data).then(
                (ok) => ({ ok }),
                (error: Error) => ({ error }),
              ),
            ),
          );
        }
      },
    });
  }

  /** Moves the seats of `data.sessionId` to `conn`: the rooms service's reply, or its typed error. */
  resume(conn: Pick<Caller, 'userId' | 'connectionId'>, data: RoomsResumeRequest): Promise<RoomsResumeReply> {
    return this.batcher.add({ ...data, userId: conn.userId, connectionId: conn.connectionId });
  }
}
