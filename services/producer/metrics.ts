import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const JOIN_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

/** What the gateway's gauges read when Prometheus scrapes. */
export interface GatewayGaugeSources {
  sockets(): number;
  joinsInFlight(): number;
  /** The gateway channel's publishes waiting to be written, and written but not yet confirmed. */
  pendingPublishes(): { unsent: number; unconfirmed: number };
  /** Players' outcomes (found, matched, …) waiting for a later event-loop turn to be told (TurnPacer). */
  tellsWaiting(): number;
}

export function createGatewayMetrics(registry: Registry, sources: GatewayGaugeSources) {
  const registers = [registry];
  return {
    sockets: new Gauge({
      name: 'matchq_gateway_sockets',
      help: 'Signed-in sockets held by this gateway',
      registers,
      collect() {
        this.set(sources.sockets());
      },
    }),
    joinsInFlight: new Gauge({
      name: 'matchq_gateway_joins_in_flight',
      help: 'Joins taken and not yet answered (Redis write, broker confirm); MAX_JOINS_IN_FLIGHT bounds it',
      registers,
      collect() {
        this.set(sources.joinsInFlight());
      },
    }),
    joinsShed: new Counter({
      name: 'matchq_gateway_joins_shed_total',
      help: 'Joins answered unavailable at once because MAX_JOINS_IN_FLIGHT were already in flight and the oldest had waited over a second',
      registers,
    }),
    publishesPending: new Gauge({
      name: 'matchq_gateway_publishes_pending',
      help: "The gateway channel's publishes by stage: unsent (waiting for the channel or its drain), unconfirmed (written, no confirm yet)",
      labelNames: ['stage'],
      registers,
      collect() {
        const { unsent, unconfirmed } = sources.pendingPublishes();
        this.set({ stage: 'unsent' }, unsent);
        this.set({ stage: 'unconfirmed' }, unconfirmed);
      },
    }),
    tellsWaiting: new Gauge({
      name: 'matchq_gateway_tells_waiting',
      help: "Players' outcomes of a delivery waiting for a later event-loop turn to be told; TELLS_PER_TURN go a turn, and none waits much past 100 ms",
      registers,
      collect() {
        this.set(sources.tellsWaiting());
      },
    }),
    frames: new Counter({ name: 'matchq_gateway_frames_total', help: 'Client frames received, by type', labelNames: ['type'], registers }),
    errors: new Counter({ name: 'matchq_gateway_errors_total', help: 'Error replies, by code', labelNames: ['code'], registers }),
    rejectedUpgrades: new Counter({ name: 'matchq_gateway_rejected_upgrades_total', help: 'WebSocket upgrades refused (bad token, wrong path)', registers }),
    fanoutFailures: new Counter({
      name: 'matchq_gateway_fanout_failures_total',
      help: 'Party fanouts (party, queued, ended) given up after their retries; the members learn the state when Redis returns or on reconnect',
      labelNames: ['kind'],
      registers,
    }),
    joinSeconds: new Histogram({
      name: 'matchq_gateway_join_seconds',
      help: 'From join frame to queued (confirmed by the broker)',
      registers,
      buckets: JOIN_BUCKETS,
    }),
    joinStageSeconds: new Histogram({
      name: 'matchq_gateway_join_stage_seconds',
      help: "One stage of a join: open (the ticket's Redis write), confirm (the broker's confirm of its request); what the join's time went to",
      labelNames: ['stage'],
      registers,
      buckets: JOIN_BUCKETS,
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
