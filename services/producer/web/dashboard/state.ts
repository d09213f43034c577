// The dashboard's state: the latest figures and how the feed is doing. One pure `update`.
import type { StatsSnapshot } from '../../stats-snapshot.js';

export interface State {
  /** The latest figures read; kept (and still drawn) while the gateway cannot be reached. */
  stats: StatsSnapshot | null;
  /** Failed polls in a row. */
  failures: number;
  /** The mode whose rating distribution is drawn; null: the one with most rated players. */
  ratingMode: string | null;
}

export type Event = { type: 'stats'; stats: StatsSnapshot } | { type: 'failed' } | { type: 'rating-mode'; mode: string };

export const POLL_MS = 1000;
export const MAX_BACKOFF_MS = 8000;

export const initialState: State = { stats: null, failures: 0, ratingMode: null };

export function update(state: State, event: Event): State {
  switch (event.type) {
    case 'stats':
      return { ...state, stats: event.stats, failures: 0 };
    case 'failed':
      return { ...state, failures: state.failures + 1 };
    case 'rating-mode':
      return { ...state, ratingMode: event.mode };
  }
}

/** The feed pill and the alert under the title. */
export function feed(state: State): { kind: 'online' | 'connecting' | 'offline'; text: string; alert: string | null } {
  if (state.failures > 0)
    return { kind: 'offline', text: 'Offline', alert: "Can't reach the gateway. The figures below are from the last successful update; retrying…" };
  if (!state.stats) return { kind: 'connecting', text: 'Loading…', alert: null };
  if (!state.stats.live)
    return {
      kind: 'connecting',
      text: 'Stale',
      alert: "The gateway can't read the matchers' heartbeats from Redis right now; pool figures may be out of date.",
    };
  return { kind: 'online', text: 'Live', alert: null };
}

/** Once a second; after failures, backing off to 8 s. */
export function nextPollMs(state: State): number {
  return Math.min(MAX_BACKOFF_MS, POLL_MS * 2 ** Math.max(0, state.failures - 1));
}
