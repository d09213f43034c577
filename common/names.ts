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
    /** Each gateway's own delivery queue; it lives and dies with the gateway. */
    gateway: (gatewayId: string) => `${namespace}.gateway.${gatewayId}`,
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
    /** Live matchers, scored by their last heartbeat (ms). */
    matchers: `${namespace}:{matchers}:live`,
    /** One matcher's latest status (pools it owns, their sizes and tick times). */
    matcherStatus: (matcherId: string) => `${namespace}:{matchers}:status:${matcherId}`,
    playerTicket: (playerId: string) => `${namespace}:{p:${playerId}}:ticket`,
    playerGateway: (playerId: string) => `${namespace}:{p:${playerId}}:gateway`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
