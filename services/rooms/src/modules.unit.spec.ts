import { fileURLToPath } from 'node:url';
import { folderOf, moduleLayout } from '@switchboard/testing/module-layout';
import { describe, expect, it } from 'vitest';

const layout = moduleLayout(fileURLToPath(new URL('.', import.meta.url)));
const DOMAINS = ['approvals', 'attachments', 'channels', 'chat', 'emoji', 'floor', 'lobby', 'moderation', 'rooms', 'sessions', 'voice'];

describe('rooms: one Nest module per domain (issue 12 §2, ADR 0074)', () => {
  it('every domain folder has its module, and db its infra module', () => {
    expect(layout.missingModules([...DOMAINS, 'db'])).toEqual([]);
  });

  it("no domain imports another domain's store (only its services; row types may be shared)", () => {
    expect(layout.crossDomainStores(DOMAINS)).toEqual([]);
  });

  it("no module exports one of the service's stores (Nest then refuses a cross-domain store at boot)", () => {
    expect(layout.exportedStores()).toEqual([]);
  });

  it('the module graph has no cycle, and nothing uses forwardRef', () => {
    expect(layout.moduleCycles()).toEqual([]);
    expect(layout.forwardRefs()).toEqual([]);
  });

  it('the root module imports domain modules, not their providers; only the root entries span domains', () => {
    expect(layout.rootNonModules(['commands.handler.js', 'grpc.handler.js'])).toEqual([]);
    // The NATS verb router finds every domain's @Command methods at boot (ADR 0040): it imports no domain.
    expect(layout.importsOf('.').filter((imp) => imp.at === 'commands.handler.ts' && !imp.target.startsWith('@'))).toEqual([]);
    // No domain reaches another's entry (handler).
    const crossEntries = DOMAINS.flatMap(layout.importsOf).filter((imp) => /\.handler\.js$/.test(imp.target) && folderOf(imp.target) !== folderOf(imp.at));
    expect(crossEntries.map((imp) => `${imp.at}: ${imp.target}`)).toEqual([]);
  });
});
