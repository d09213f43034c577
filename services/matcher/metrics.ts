import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export function createMatcherMetrics(registry: Registry, poolSizes: () => Map<string, number>) {
  const registers = [registry];
  return {
    waiting: new Gauge({
      name: 'matchq_pool_tickets',
      help: 'Tickets waiting in each pool of this matcher',
      labelNames: ['pool'],
      registers,
      collect() {
        this.reset();
        for (const [pool, size] of poolSizes()) this.set({ pool }, size);
      },
    }),
    tickSeconds: new Histogram({
      name: 'matchq_tick_seconds',
      help: 'Time one pool takes to form its rooms at a tick',
      labelNames: ['pool'],
      registers,
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    }),
    rooms: new Counter({ name: 'matchq_rooms_total', help: 'Rooms formed and confirmed by the broker', labelNames: ['pool'], registers }),
    matchedPlayers: new Counter({ name: 'matchq_matched_players_total', help: 'Players placed in confirmed rooms', labelNames: ['pool'], registers }),
    timeouts: new Counter({ name: 'matchq_timeouts_total', help: 'Tickets ended by maxWaitSeconds', labelNames: ['pool'], registers }),
    lostClaims: new Counter({
      name: 'matchq_lost_claims_total',
      help: 'Rooms given up because a ticket had ended meanwhile (leave race)',
      labelNames: ['pool'],
      registers,
    }),
    reclaimedRooms: new Counter({
      name: 'matchq_reclaimed_rooms_total',
      help: 'Rooms claimed again after Redis lost the pool data, by outcome (claimed, lost: its other tickets went back to the pool)',
      labelNames: ['pool', 'outcome'],
      registers,
    }),
    waitSeconds: new Histogram({
      name: 'matchq_wait_seconds',
      help: 'Wait from join to room',
      labelNames: ['pool'],
      registers,
      buckets: [0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300],
    }),
    spread: new Histogram({
      name: 'matchq_room_spread',
      help: 'Rating spread of formed rooms',
      labelNames: ['pool'],
      registers,
      buckets: [0, 10, 25, 50, 100, 150, 200, 300, 500, 1000],
    }),
    proposals: new Counter({ name: 'matchq_proposals_total', help: 'Rooms proposed for a ready check', labelNames: ['pool'], registers }),
    proposalsAccepted: new Counter({
      name: 'matchq_proposals_accepted_total',
      help: 'Proposed rooms every player accepted (now final)',
      labelNames: ['pool'],
      registers,
    }),
    proposalsDissolved: new Counter({
      name: 'matchq_proposals_dissolved_total',
      help: 'Proposed rooms that fell through, by reason (declined, accept_timeout)',
      labelNames: ['pool', 'reason'],
      registers,
    }),
    deadLetters: new Counter({ name: 'matchq_dead_letters_total', help: 'Messages moved to the dead queue', registers }),
    ackFrames: new Counter({
      name: 'matchq_ack_frames_total',
      help: 'AMQP ack frames sent (a multiple ack settles a run of requests in one), and the requeues that let a run pass held joins',
      registers,
    }),
    acked: new Counter({ name: 'matchq_acked_requests_total', help: 'Requests acked', registers }),
    requeuedToPass: new Counter({
      name: 'matchq_requeued_to_pass_total',
      help: 'Held joins requeued (nack, requeue: delivered again at once) so that a multiple ack could pass them',
      registers,
    }),
  };
}

export type MatcherMetrics = ReturnType<typeof createMatcherMetrics>;
