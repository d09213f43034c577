import { collectDefaultMetrics, Registry } from 'prom-client';

/** One registry per service instance, so tests can run several services in one process. */
export function createRegistry(service: string, instance: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service, instance });
  collectDefaultMetrics({ register: registry, prefix: 'matchq_' });
  return registry;
}
