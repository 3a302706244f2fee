import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from '@switchboard/platform';

/** Attachments in object storage, counted by the replica that did the work (sum across replicas). */
@Injectable()
export class AttachmentsMetrics {
  readonly uploads: Counter<'outcome'>;
  readonly objectsDeleted: Counter;
  readonly bytesStored: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.uploads = new Counter({
      name: 'switchboard_attachment_uploads_total',
      help: 'Attachment uploads by outcome: reserved (presigned PUT handed out), sent (referenced by chat.send), too_large, bad_type, quota, pending_limit, missing (never uploaded), size_mismatch',
      labelNames: ['outcome'],
      registers,
    });
    this.objectsDeleted = new Counter({ name: 'switchboard_attachment_objects_deleted_total', help: 'Attachment objects deleted from object storage (deleted messages, closed rooms, expired uploads, admin)', registers });
    this.bytesStored = new Gauge({ name: 'switchboard_attachment_bytes_stored', help: 'Bytes of live attachments in object storage (declared sizes; last garbage collection of any replica that ran it)', registers });
  }
}
