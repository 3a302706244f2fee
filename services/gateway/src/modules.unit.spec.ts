import { fileURLToPath } from 'node:url';
import { moduleLayout } from '@switchboard/testing/module-layout';
import { describe, expect, it } from 'vitest';

const layout = moduleLayout(fileURLToPath(new URL('.', import.meta.url)));
/** Every folder of the gateway: domains (session, signaling, …) and the connection core (connections, routing, commands, wiring, metrics). */
const FOLDERS = ['admin', 'attestation', 'auth', 'commands', 'connections', 'ephemeral', 'lobby', 'metrics', 'presence', 'ptt', 'routing', 'session', 'signaling', 'wiring', 'ws'];

describe('gateway: one Nest module per folder (issue 12 §2, ADR 0075)', () => {
  it('every folder has its module', () => {
    expect(layout.missingModules(FOLDERS)).toEqual([]);
  });

  it("no folder imports another's store (only its services; row types may be shared)", () => {
    expect(layout.crossDomainStores(FOLDERS)).toEqual([]);
  });

  it('no module exports a store (Nest then refuses a cross-folder store at boot)', () => {
    expect(layout.exportedStores()).toEqual([]);
  });

  it('the module graph has no cycle, and nothing uses forwardRef', () => {
    expect(layout.moduleCycles()).toEqual([]);
    expect(layout.forwardRefs()).toEqual([]);
  });

  it('the root module imports modules only', () => {
    expect(layout.rootNonModules([])).toEqual([]);
  });
});
