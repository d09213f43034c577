import { runService } from '../../common/run-service.js';
import { startRecorderService } from './service.js';

await runService('recorder', (config) => startRecorderService(config));
