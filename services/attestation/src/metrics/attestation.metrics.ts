import { Injectable } from '@nestjs/common';
import { Counter, Registry } from '@switchboard/platform';

/** Attestation outcomes, counted by the replica that did the work (sum across replicas). */
@Injectable()
export class AttestationMetrics {
  readonly registrations: Counter<'outcome'>;
  readonly challenges: Counter<'outcome'>;
  readonly verifications: Counter<'outcome'>;
  readonly referenceUploads: Counter<'outcome'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.registrations = new Counter({ name: 'switchboard_attestation_registrations_total', help: 'Device registrations by outcome (ok, unknown_token, revoked_token, mismatch, bad_key)', labelNames: ['outcome'], registers });
    this.challenges = new Counter({ name: 'switchboard_attestation_challenges_total', help: 'Challenges by outcome (ok, unknown_device, revoked_token, no_reference)', labelNames: ['outcome'], registers });
    this.verifications = new Counter({
      name: 'switchboard_attestation_verifications_total',
      help: 'Verifications by outcome (ok, unknown_nonce, foreign_nonce, bad_mac, bad_signature, unknown_device, revoked_token)',
      labelNames: ['outcome'],
      registers,
    });
    this.referenceUploads = new Counter({ name: 'switchboard_attestation_reference_uploads_total', help: 'Reference binary uploads by outcome (ok, too_large, bad_request, error)', labelNames: ['outcome'], registers });
  }
}
