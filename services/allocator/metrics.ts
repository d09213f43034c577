import { Counter, Histogram, type Registry } from 'prom-client';

export function createAllocatorMetrics(registry: Registry) {
  const registers = [registry];
  return {
    seconds: new Histogram({
      name: 'matchq_allocation_seconds',
      help: "Time from a room's first request to the fleet to its server or its failure",
      labelNames: ['outcome'],
      registers,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60],
    }),
    allocated: new Counter({ name: 'matchq_allocations_total', help: 'Rooms that got a game server', registers }),
    failures: new Counter({ name: 'matchq_allocation_failures_total', help: 'Rooms whose allocation failed, by reason', labelNames: ['reason'], registers }),
    retries: new Counter({ name: 'matchq_allocation_retries_total', help: 'Requests to the fleet tried again, by reason', labelNames: ['reason'], registers }),
    requeued: new Counter({ name: 'matchq_allocation_requeued_tickets_total', help: 'Tickets of failed rooms sent back to their pool', registers }),
    ended: new Counter({ name: 'matchq_allocation_ended_tickets_total', help: 'Tickets ended by their third failed allocation', registers }),
    deadLetters: new Counter({ name: 'matchq_dead_letters_total', help: 'Messages moved to the dead queue', registers }),
  };
}

export type AllocatorMetrics = ReturnType<typeof createAllocatorMetrics>;
