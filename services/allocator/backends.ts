import type { Config } from '../../common/config.js';
import type { AllocatorBackend } from './allocation.js';
import { createAgonesBackend } from './agones-backend.js';
import { createHttpBackend } from './http-backend.js';

/** The backend ALLOCATOR names, or null for `none` (rooms go out without a server, as in v1). */
export function createBackend(
  config: Pick<
    Config,
    | 'ALLOCATOR'
    | 'ALLOCATOR_URL'
    | 'ALLOCATOR_TOKEN'
    | 'ALLOCATOR_TIMEOUT_MS'
    | 'ALLOCATOR_BUDGET_MS'
    | 'AGONES_ALLOCATOR_URL'
    | 'AGONES_CLIENT_CERT'
    | 'AGONES_CLIENT_KEY'
    | 'AGONES_CA_CERT'
    | 'AGONES_NAMESPACE'
    | 'AGONES_FLEET'
  >,
): AllocatorBackend | null {
  const budget = { timeoutMs: config.ALLOCATOR_TIMEOUT_MS, budgetMs: config.ALLOCATOR_BUDGET_MS };
  switch (config.ALLOCATOR) {
    case 'none':
      return null;
    case 'http':
      // loadConfig refuses ALLOCATOR=http without ALLOCATOR_URL.
      return createHttpBackend({ ...budget, url: config.ALLOCATOR_URL!, token: config.ALLOCATOR_TOKEN });
    case 'agones':
      return createAgonesBackend({
        ...budget,
        url: config.AGONES_ALLOCATOR_URL!,
        clientCert: config.AGONES_CLIENT_CERT!,
        clientKey: config.AGONES_CLIENT_KEY!,
        caCert: config.AGONES_CA_CERT,
        namespace: config.AGONES_NAMESPACE,
        fleet: config.AGONES_FLEET,
      });
  }
}
