// matchq dashboard: polls GET /stats (once a second, backing off while the gateway is away);
// each answer or failure is one event for `dispatch`, which updates the state and draws it.
import type { StatsSnapshot } from '../../stats-snapshot.js';
import { render } from './render.js';
import { initialState, nextPollMs, update, type Event } from './state.js';

let state = initialState;

function dispatch(event: Event): void {
  state = update(state, event);
  render(state);
}

async function poll(): Promise<void> {
  try {
    const response = await fetch('/stats', { cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    dispatch({ type: 'stats', stats: (await response.json()) as StatsSnapshot });
  } catch {
    // The page says so (the pill and the alert), and keeps the last figures.
    dispatch({ type: 'failed' });
  }
  setTimeout(() => void poll(), nextPollMs(state));
}

document
  .getElementById('distribution-mode')
  ?.addEventListener('change', (event) => dispatch({ type: 'rating-mode', mode: (event.target as HTMLSelectElement).value }));
void poll();
