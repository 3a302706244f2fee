import { runService } from '@switchboard/platform';
import { mediaService } from './service.js';

await runService(mediaService());
