import { fileURLToPath } from 'node:url';
import { layoutRules, moduleLayout } from '@switchboard/testing/module-layout';
import { describe } from 'vitest';

const DOMAINS = ['calls', 'chunks', 'ice', 'ptt', 'sessions', 'sfu'];

describe('media: one Nest module per domain (issue 12 §2, ADR 0065)', () => {
  // Shared modules: metrics/, rooms/ (the rooms gRPC client) and platform.module.ts; the SfuAccess seam is an interface (ADR 0065).
  layoutRules(moduleLayout(fileURLToPath(new URL('.', import.meta.url))), { folders: DOMAINS, infra: ['metrics', 'rooms'], rootAllowed: ['commands.handler.js', 'grpc.handler.js'] });
});
