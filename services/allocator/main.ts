import { runService } from '../../common/run-service.js';
import { startAllocatorService } from './service.js';

await runService('allocator', (config) => startAllocatorService(config));
