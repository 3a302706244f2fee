import { Inject, Injectable } from '@nestjs/common';
import { CommandBus, encodeEvent, LOGGER, type Logger } from '@switchboard/platform';
import { ATTESTATION_POLICY_CHANGED, badRequest, type AttestationPolicyChanged, notFound, subjects, VersionPolicySchema, type VersionPolicyView } from '@switchboard/protocol';
import { PolicyStore } from './policy.store.js';

/** Most platforms with a policy. */
export const MAX_POLICIES = 100;

/** Version policy per platform: minimum, blocked list, recommended. Changes notify every gateway. */
@Injectable()
export class PolicyService {
  constructor(
    private readonly store: PolicyStore,
    private readonly bus: CommandBus,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  all(): Promise<VersionPolicyView[]> {
    return this.store.all();
  }

  async set(p: Omit<VersionPolicyView, 'updatedAt'>): Promise<VersionPolicyView> {
    const parsed = VersionPolicySchema.omit({ updatedAt: true }).safeParse(p);
    if (!parsed.success) throw badRequest(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const existing = await this.store.all();
    if (existing.length >= MAX_POLICIES && !existing.some((e) => e.platform === p.platform)) throw badRequest(`at most ${MAX_POLICIES} platforms have a policy`);
    const saved = await this.store.set(parsed.data);
    this.notify(p.platform);
    return saved;
  }

  async delete(platform: string): Promise<void> {
    if (!(await this.store.delete(platform))) throw notFound('no policy for this platform');
    this.notify(platform);
  }

  private notify(platform: string) {
    try {
      this.bus.nc.publish(subjects.system(ATTESTATION_POLICY_CHANGED), encodeEvent({ type: ATTESTATION_POLICY_CHANGED, data: { platform } satisfies AttestationPolicyChanged }, 'system'));
    } catch (err) {
      // Gateways also refresh on a timer; a lost notice only delays the change.
      this.logger.warn({ err, platform }, 'policy notice not published');
    }
  }
}
