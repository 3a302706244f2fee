import { Inject, Injectable } from '@nestjs/common';
import { CONFIG } from '@switchboard/platform';
import { badRequest, notFound, Platform, ProtocolError, Version } from '@switchboard/protocol';
import type { AttestationConfig } from '../config.js';
import { AttestationMetrics } from '../metrics/attestation.metrics.js';
import { ReferencesStore, type ReferenceRow } from './references.store.js';

export const REFERENCE_LIST_LIMIT = 500;

/** Reference binaries per platform and version: streamed in, size-capped, hashed. */
@Injectable()
export class ReferencesService {
  constructor(
    private readonly store: ReferencesStore,
    private readonly metrics: AttestationMetrics,
    @Inject(CONFIG) private readonly config: AttestationConfig,
  ) {}

  async upload(platform: string, version: string, chunks: AsyncIterable<Uint8Array>): Promise<{ row: ReferenceRow; replaced: boolean }> {
    try {
      if (!Platform.safeParse(platform).success || !Version.safeParse(version).success) throw badRequest('platform or version is malformed');
      const res = await this.store.save(platform, version, chunks, this.config.REFERENCE_MAX_BYTES);
      this.metrics.referenceUploads.inc({ outcome: 'ok' });
      return res;
    } catch (err) {
      this.metrics.referenceUploads.inc({ outcome: err instanceof ProtocolError ? err.code : 'error' });
      throw err;
    }
  }

  list(platform?: string): Promise<ReferenceRow[]> {
    return this.store.list(platform, REFERENCE_LIST_LIMIT);
  }

  get(platform: string, version: string): Promise<ReferenceRow | null> {
    return this.store.get(platform, version);
  }

  async delete(platform: string, version: string): Promise<void> {
    if (!(await this.store.delete(platform, version))) throw notFound('no such reference binary');
  }

  readRanges(platform: string, version: string, ranges: { offset: number; length: number }[]): Promise<Buffer[] | null> {
    return this.store.readRanges(platform, version, ranges);
  }
}
