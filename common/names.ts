/**
 * Every AMQP name and Redis key, built in one place. The namespace is `matchq` in
 * production (the contract's names); tests pass their own so parallel runs never meet.
 */
export function amqpNames(namespace: string) {
  return {
    requests: `${namespace}.requests`,
    pool: (mode: string, region: string) => `${namespace}.pool.${mode}.${region}`,
    rooms: `${namespace}.rooms`,
    notifier: `${namespace}.notifier`,
    history: `${namespace}.history`,
    deliveries: `${namespace}.deliveries`,
    dead: `${namespace}.dead`,
    /** Final rooms waiting for a game server (only with an ALLOCATOR); allocators compete on it. */
    allocation: `${namespace}.allocation`,
    /** Every applied game result (fanout), v1.1. */
    results: `${namespace}.results`,
    /** Each gateway's own delivery queue; it lives and dies with the gateway. */
    gateway: (gatewayId: string) => `${namespace}.gateway.${gatewayId}`,
    /** A queue of an analyst's own (`npm run tap`'s, say): the analyst role may own these, and `analyst.*` ones. */
    analyst: (suffix: string) => `${namespace}.analyst.${suffix}`,
  };
}

export type AmqpNames = ReturnType<typeof amqpNames>;

/**
 * Redis keys. Ticket and room keys carry the pool as a hash tag so one Lua script can
 * claim a whole room on a Redis Cluster; player keys are tagged by player.
 */
export function redisKeys(namespace: string) {
  const pool = (mode: string, region: string) => `{${mode}.${region}}`;
  return {
    ticket: (mode: string, region: string, ticketId: string) => `${namespace}:${pool(mode, region)}:ticket:${ticketId}`,
    room: (mode: string, region: string, roomId: string) => `${namespace}:${pool(mode, region)}:room:${roomId}`,
    roomNotified: (mode: string, region: string, roomId: string) => `${namespace}:${pool(mode, region)}:notified:${roomId}`,
    /** A final room's allocation (core/room-allocation.ts): phase, starts, lease, server or released tickets. */
    allocation: (mode: string, region: string, roomId: string) => `${namespace}:${pool(mode, region)}:allocation:${roomId}`,
    /**
     * The pool's Redis epoch, "ID BORN_AT_MS": written by the pool's matcher when missing, so a
     * new value means Redis lost the pool's data (a restart without persistence) since then.
     */
    poolEpoch: (mode: string, region: string) => `${namespace}:${pool(mode, region)}:epoch`,
    /** Prefix of a pool's ticket hashes, for Lua that reaches a proposal's tickets by id. */
    ticketPrefix: (mode: string, region: string) => `${namespace}:${pool(mode, region)}:ticket:`,
    /** A proposed room of the ready check (core/room-lifecycle.ts): phase, seats, answers, room JSON. */
    proposal: (mode: string, region: string, roomId: string) => `${namespace}:${pool(mode, region)}:proposal:${roomId}`,
    /**
     * A pool's replica probe: a write of a reader's own on the pool's slot, then WAIT for it, tells
     * that a replica holds everything that node held when the reader read it (proposal-store.ts).
     */
    replicaProbe: (mode: string, region: string) => `${namespace}:${pool(mode, region)}:replica-probe`,
    /** A pool's proposals still waiting for answers, scored by deadline (ms). */
    pendingProposals: (mode: string, region: string) => `${namespace}:${pool(mode, region)}:proposals`,
    /** A pool's proposals decided (final or dissolved) whose outcome its owner has not announced yet. */
    decidedProposals: (mode: string, region: string) => `${namespace}:${pool(mode, region)}:decided`,
    /** A player who declined or stayed silent may not join until this key expires (accept.cooldownSeconds). */
    cooldown: (playerId: string) => `${namespace}:{p:${playerId}}:cooldown`,
    /** Live matchers, scored by their last heartbeat (ms). */
    matchers: `${namespace}:{matchers}:live`,
    /** One matcher's latest status (pools it owns, their sizes and tick times). */
    matcherStatus: (matcherId: string) => `${namespace}:{matchers}:status:${matcherId}`,
    /** Live allocators, scored by their last status (ms); each one's figures (common/allocator-figures.ts). */
    allocators: `${namespace}:{allocators}:live`,
    allocatorStatus: (allocatorId: string) => `${namespace}:{allocators}:status:${allocatorId}`,
    playerTicket: (playerId: string) => `${namespace}:{p:${playerId}}:ticket`,
    playerGateway: (playerId: string) => `${namespace}:{p:${playerId}}:gateway`,
    /** Pub/sub channel: ratings a result changed, so every gateway's signed-in players join with them. */
    ratingsChannel: `${namespace}:ratings`,
    /** The player's party: its code (contract v1.1). */
    playerParty: (playerId: string) => `${namespace}:{p:${playerId}}:party`,
    /** A party, tagged by its code: one slot for every script on it, and the code's uniqueness for free. */
    party: (code: string) => `${namespace}:{party:${code}}:party`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
