import { fileURLToPath } from 'node:url';
import { layoutRules, moduleLayout } from '@switchboard/testing/module-layout';
import { describe } from 'vitest';

/** Every folder of the gateway: domains (session, signaling, …) and the connection core (connections, routing, commands, wiring, metrics). */
const FOLDERS = ['admin', 'attestation', 'auth', 'commands', 'connections', 'ephemeral', 'lobby', 'metrics', 'presence', 'ptt', 'routing', 'session', 'signaling', 'wiring', 'ws'];

describe('gateway: one Nest module per folder (issue 12 §2, ADR 0075)', () => {
  layoutRules(moduleLayout(fileURLToPath(new URL('.', import.meta.url))), { folders: FOLDERS });
});
