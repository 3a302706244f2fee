/* v8 ignore start -- the process entry (dist/main.js): only spawned processes run it, which in-process coverage cannot see. */
import { runService } from '@switchboard/platform';
import { presenceService } from './service.js';

await runService(presenceService());
/* v8 ignore stop */
