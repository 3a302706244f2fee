import { runService } from '@switchboard/platform';
import { gatewayService } from './service.js';

await runService(gatewayService());
