import { fileURLToPath } from 'node:url';
import { folderOf, layoutRules, moduleLayout } from '@switchboard/testing/module-layout';
import { describe, expect, it } from 'vitest';

const layout = moduleLayout(fileURLToPath(new URL('.', import.meta.url)));
const DOMAINS = ['approvals', 'attachments', 'channels', 'chat', 'emoji', 'floor', 'lobby', 'moderation', 'rooms', 'sessions', 'voice'];

describe('rooms: one Nest module per domain (issue 12 §2, ADR 0074)', () => {
  // db is shared infra (DbModule), the NATS and gRPC entries sit at the root.
  layoutRules(layout, { folders: DOMAINS, infra: ['db'], rootAllowed: ['commands.handler.js', 'grpc.handler.js'] });

  it("only the root entries span domains: the verb router imports no domain, no domain imports another domain's handler", () => {
    // The NATS router finds every domain's @Command methods at boot (ADR 0040).
    expect(layout.importsOf('.').filter((imp) => imp.at === 'commands.handler.ts' && !imp.target.startsWith('@'))).toEqual([]);
    const crossEntries = DOMAINS.flatMap(layout.importsOf).filter((imp) => /\.handler\.js$/.test(imp.target) && folderOf(imp.target) !== folderOf(imp.at));
    expect(crossEntries.map((imp) => `${imp.at}: ${imp.target}`)).toEqual([]);
  });
});
