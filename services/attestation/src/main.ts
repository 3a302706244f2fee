import { runService } from '@switchboard/platform';
import { attestationService } from './service.js';

await runService(attestationService());
