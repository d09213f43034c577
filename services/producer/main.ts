import { runService } from '../../common/run-service.js';
import { startGatewayService } from './service.js';

await runService('producer', (config) => startGatewayService(config));
