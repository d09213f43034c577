import type { ProcessUsage } from './processes.js';

/** CPU milliseconds per matched player: each process's, and all of them together. */
export interface CpuCost {
  matchedPlayers: number;
  /** Every process metered (services, load generator, RabbitMQ, Redis, PostgreSQL), summed. */
  totalMs: number;
  /** By process group, the most expensive first. */
  perProcess: Record<string, number>;
}

/** To the microsecond: the figure is a fraction of a millisecond, the meter counts 10 ms ticks. */
const round = (ms: number) => Math.round(ms * 1000) / 1000;

/**
 * What one matched player cost the machine: the CPU every process spent over the metered session
 * (players signing in, the joins, the drain), divided by the players matched in it. Unlike matched players/s, it does not fall when other
 * work shares the machine, so it is the figure to compare across runs and to halve. Null when
 * nobody was matched (a cost per nothing is no figure).
 */
export function cpuCostPerMatchedPlayer(groups: Record<string, ProcessUsage>, matchedPlayers: number): CpuCost | null {
  if (matchedPlayers <= 0) return null;
  const perPlayer = Object.entries(groups).map(([name, usage]) => [name, (usage.cpuSeconds * 1000) / matchedPlayers] as const);
  const total = perPlayer.reduce((sum, [, ms]) => sum + ms, 0);
  return {
    matchedPlayers,
    totalMs: round(total),
    perProcess: Object.fromEntries(perPlayer.sort((a, b) => b[1] - a[1]).map(([name, ms]) => [name, round(ms)])),
  };
}

/** One line: `total 0.958 ms (producer 0.352, rabbitmq 0.269, …)`. */
export function describeCpuCost(cost: CpuCost): string {
  const parts = Object.entries(cost.perProcess).map(([name, ms]) => `${name} ${ms}`);
  return `${cost.totalMs} ms in total (${parts.join(', ')}) over ${cost.matchedPlayers} matched players`;
}
