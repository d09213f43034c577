/**
 * The contract's matchmaking rule as plain functions: how a ticket's window grows, how big a
 * room is, how a pool is named, and the original game's rule as the built-in default.
 */
import type { MatchConfig, ModeRule } from './types.js';

/** A ticket's acceptable rating gap after waiting `waitedMs`: min(max, initial + perSecond·w). */
export function windowAt(rule: ModeRule, waitedMs: number): number {
  const { initial, perSecond, max } = rule.window;
  return Math.min(max, initial + (perSecond * waitedMs) / 1000);
}

/** Players in one room: teams × teamSize. */
export function roomSize(rule: ModeRule): number {
  return rule.teams * rule.teamSize;
}

/** The pool a ticket waits in; also its AMQP routing key (`MODE.REGION`). */
export function poolKey(mode: string, region: string): string {
  return `${mode}.${region}`;
}

/** The original game's rule (contract, "Built-in default"): free-for-all rooms of three. */
export const DEFAULT_MATCH_CONFIG: MatchConfig = {
  regions: ['global'],
  modes: {
    ffa3: {
      teams: 1,
      teamSize: 3,
      window: { initial: 0, perSecond: 50, max: Infinity },
      maxWaitSeconds: 300,
    },
  },
};
