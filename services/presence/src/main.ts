import { runService } from '@switchboard/platform';
import { presenceService } from './service.js';

await runService(presenceService());
