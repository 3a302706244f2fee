import { runService } from '@switchboard/platform';
import { roomsService } from './service.js';

await runService(roomsService());
