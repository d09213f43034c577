import { runService } from '../../common/run-service.js';
import { startMatcherService } from './service.js';

await runService('matcher', (config) => startMatcherService(config));
