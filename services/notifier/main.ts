import { runService } from '../../common/run-service.js';
import { startNotifierService } from './service.js';

await runService('notifier', (config) => startNotifierService(config));
