// Draws the dashboard from its state: figures, legend, owners and latest rooms as HTML, the
// four charts through charts.ts.
import type { PoolView, StatsSnapshot } from '../../stats-snapshot.js';
import { barChart, linesChart, poolChart } from './charts.js';
import {
  acceptRate,
  ago,
  allocationSummary,
  byReason,
  describe,
  distributionFor,
  formatDuration,
  latencyLabels,
  makeupBars,
  medianBucket,
  minuteLabels,
  partyShare,
  poolSeries,
  ratingLabels,
  readyCheckSeries,
  signed,
  spreadLabels,
  waitLabels,
} from './figures.js';
import { feed, type State } from './state.js';

const SERIES = 6;

function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`dashboard.html has no #${id}`);
  return found as T;
}

function setText(target: Element, text: string): void {
  if (target.textContent !== text) target.textContent = text;
}

/** A stable colour per pool, in the order the server first listed the pools. */
const poolColors = new Map<string, string>();
function colorOf(pool: string): string {
  if (!poolColors.has(pool)) poolColors.set(pool, `var(--series-${poolColors.size % SERIES})`);
  return poolColors.get(pool)!;
}

const charts = {
  pools: poolChart(element('chart-pools')),
  rooms: barChart(element('chart-rooms'), { highlightLast: true }),
  wait: barChart(element('chart-wait')),
  spread: barChart(element('chart-spread')),
  makeup: barChart(element('chart-makeup')),
  ready: linesChart(element('chart-ready')),
  alloc: barChart(element('chart-alloc')),
  ratings: barChart(element('chart-ratings')),
};
const READY_COLORS: Record<string, string> = {
  proposed: 'var(--series-0)',
  accepted: 'var(--series-2)',
  declined: 'var(--series-1)',
  timedOut: 'var(--series-3)',
};

export function render(state: State): void {
  const status = feed(state);
  element('feed').dataset.state = status.kind;
  setText(element('feed-text'), status.text);
  element('alert').hidden = !status.alert;
  setText(element('alert-text'), status.alert ?? '');
  const stats = state.stats;
  if (!stats) return;
  document.body.dataset.loaded = 'true';
  renderKpis(stats);
  renderLegend(stats);
  renderCharts(stats);
  renderOwners(stats);
  renderRecent(stats);
  renderMakeup(stats);
  renderReadyCheck(stats);
  renderAllocation(stats);
  renderRatings(stats, state.ratingMode);
  setText(element('updated'), `updated ${new Date(stats.at).toLocaleTimeString()}`);
}

function renderKpis(stats: StatsSnapshot): void {
  setText(element('kpi-waiting'), String(stats.pools.reduce((sum, pool) => sum + (pool.players ?? pool.waiting ?? 0), 0)));
  setText(element('kpi-rooms-minute'), String(stats.rooms.lastMinute));
  setText(element('kpi-rooms-total'), String(stats.rooms.total));
  setText(element('kpi-median-wait'), medianBucket(stats.waitSeconds, waitLabels(stats.waitSeconds.edges)));
  setText(element('kpi-matchers'), String(stats.matchers.length));
}

function renderLegend(stats: StatsSnapshot): void {
  element('pool-legend').replaceChildren(
    ...stats.pools.map((pool) => {
      const item = document.createElement('li');
      item.dataset.pool = pool.pool;
      item.style.setProperty('--series-color', colorOf(pool.pool));
      item.append(
        span('swatch', ''),
        span('pool-name', pool.pool),
        Object.assign(document.createElement('output'), {
          className: 'pool-waiting',
          textContent: pool.waiting === null ? '—' : String(pool.players ?? pool.waiting),
        }),
        // With parties, a ticket may hold several players: both counts.
        span('pool-tickets', stats.features.parties && pool.waiting !== null ? `in ${pool.waiting} ticket${pool.waiting === 1 ? '' : 's'}` : ''),
        span('pool-owner', pool.owner ? '' : 'no matcher'),
      );
      item.firstElementChild!.setAttribute('aria-hidden', 'true');
      return item;
    }),
  );
  const first = stats.poolHistory[0];
  setText(element('pools-span'), first ? `last ${formatDuration(Math.max(60_000, stats.at - first.at)).replace(/ 0s$/, '')}` : '');
}

function renderCharts(stats: StatsSnapshot): void {
  const summary = stats.pools
    .map((pool) => `${pool.pool}: ${pool.waiting === null ? 'unknown' : `${pool.players ?? pool.waiting} players in ${pool.waiting} tickets`} waiting`)
    .join('; ');
  element('chart-pools').setAttribute('aria-label', `Players waiting per pool over time. Now: ${summary || 'no pools'}.`);
  charts.pools.update(poolSeries(stats), colorOf);
  empty('chart-pools', stats.poolHistory.length === 0);

  const perMinute = stats.rooms.perMinute.map((bucket) => bucket.count);
  charts.rooms.update(minuteLabels(perMinute.length), perMinute);
  element('chart-rooms').setAttribute(
    'aria-label',
    `Rooms per minute over the last 10 minutes: ${stats.rooms.total} in all, ${stats.rooms.lastMinute} in the last minute.`,
  );
  empty(
    'chart-rooms',
    perMinute.every((count) => count === 0),
  );

  const waits = waitLabels(stats.waitSeconds.edges);
  charts.wait.update(waits, stats.waitSeconds.counts);
  element('chart-wait').setAttribute('aria-label', `Wait times of matched players: ${describe(waits, stats.waitSeconds.counts)}.`);
  empty(
    'chart-wait',
    stats.waitSeconds.counts.every((count) => count === 0),
  );

  const spreads = spreadLabels(stats.spread.edges);
  charts.spread.update(spreads, stats.spread.counts);
  element('chart-spread').setAttribute('aria-label', `Rating spread of rooms: ${describe(spreads, stats.spread.counts)}.`);
  empty(
    'chart-spread',
    stats.spread.counts.every((count) => count === 0),
  );
}

/** The note over a chart with nothing to show yet ("No rooms yet"). */
function empty(chartId: string, isEmpty: boolean): void {
  const note = document.querySelector<HTMLElement>(`[data-empty-for="${chartId}"]`);
  if (note) note.hidden = !isEmpty;
}

function span(className: string, text: string): HTMLSpanElement {
  return Object.assign(document.createElement('span'), { className, textContent: text });
}

function renderOwners(stats: StatsSnapshot): void {
  const cards: HTMLElement[] = stats.matchers.map((matcher) =>
    ownerCard(
      matcher.id,
      `beat ${ago(stats.at - matcher.at)}`,
      stats.pools.filter((pool) => pool.owner === matcher.id),
      false,
    ),
  );
  const orphans = stats.pools.filter((pool) => !pool.owner);
  if (orphans.length) cards.push(ownerCard('No matcher', 'unowned', orphans, true));
  if (cards.length === 0) cards.push(Object.assign(document.createElement('p'), { className: 'placeholder', textContent: 'No pools configured.' }));
  element('owners').replaceChildren(...cards);
}

function ownerCard(name: string, beat: string, pools: PoolView[], orphan: boolean): HTMLElement {
  const card = document.createElement('article');
  card.className = `owner${orphan ? ' orphan' : ''}`;
  card.dataset.matcher = orphan ? '' : name;
  const head = document.createElement('div');
  head.className = 'owner-head';
  const title = span('owner-name', name);
  title.title = name;
  head.append(title, span('owner-beat', beat));
  const chips = document.createElement('ul');
  chips.className = 'chips';
  if (pools.length === 0) chips.append(Object.assign(document.createElement('li'), { className: 'placeholder', textContent: 'owns no pool (standby)' }));
  for (const pool of pools) {
    const chip = document.createElement('li');
    chip.className = 'chip';
    chip.dataset.pool = pool.pool;
    chip.style.setProperty('--series-color', colorOf(pool.pool));
    chip.textContent = pool.pool;
    if (pool.lastTickMs !== null) chip.append(span('muted', `tick ${pool.lastTickMs < 10 ? pool.lastTickMs.toFixed(1) : Math.round(pool.lastTickMs)} ms`));
    chips.append(chip);
  }
  card.append(head, chips);
  return card;
}

function renderRecent(stats: StatsSnapshot): void {
  const list = element('recent');
  if (stats.rooms.recent.length === 0) {
    list.replaceChildren(Object.assign(document.createElement('li'), { className: 'placeholder', textContent: 'No rooms in the last 10 minutes yet.' }));
    return;
  }
  list.replaceChildren(
    ...stats.rooms.recent.map((room) => {
      const item = document.createElement('li');
      item.append(
        Object.assign(document.createElement('strong'), { textContent: room.pool }),
        span('', `${room.players} players · spread ${Math.round(room.spread)}`),
        span('muted', `mean wait ${formatDuration(room.meanWaitMs)} · ${ago(stats.at - room.at)}`),
      );
      return item;
    }),
  );
}

function show(panelId: string, visible: boolean): boolean {
  const panel = element(panelId);
  if (panel.hidden === visible) panel.hidden = !visible;
  return visible;
}

function renderMakeup(stats: StatsSnapshot): void {
  const bars = makeupBars(stats.makeups);
  if (!show('panel-makeup', stats.features.parties || (partyShare(stats.makeups) ?? 0) > 0)) return;
  charts.makeup.update(bars.labels, bars.counts);
  element('chart-makeup').dataset.makeups = bars.keys.join(' ');
  const share = partyShare(stats.makeups);
  setText(element('makeup-note'), share === null ? 'rooms, last 10 min' : `${share}% of rooms with a party · last 10 min`);
  element('chart-makeup').setAttribute('aria-label', `Rooms by party make-up, last 10 minutes: ${describe(bars.labels, bars.counts)}.`);
  empty('chart-makeup', bars.counts.length === 0);
}

function renderReadyCheck(stats: StatsSnapshot): void {
  const view = stats.readyCheck;
  if (!show('panel-ready', stats.features.readyCheck || view.total.proposed > 0)) return;
  const { labels, series } = readyCheckSeries(view);
  charts.ready.update(
    labels,
    series.map(({ key, values }) => ({ key, color: READY_COLORS[key]!, values })),
  );
  element('ready-legend').replaceChildren(
    ...series.map(({ key, label, total }) => {
      const item = document.createElement('li');
      item.dataset.outcome = key;
      item.style.setProperty('--series-color', READY_COLORS[key]!);
      item.append(
        span('swatch', ''),
        span('', label),
        Object.assign(document.createElement('output'), { className: 'legend-total', textContent: String(total) }),
      );
      item.firstElementChild!.setAttribute('aria-hidden', 'true');
      return item;
    }),
  );
  const rate = acceptRate(view);
  setText(element('ready-note'), rate === null ? 'last 10 minutes' : `${rate}% accepted · last 10 minutes`);
  element('chart-ready').setAttribute(
    'aria-label',
    `Ready check per minute over the last 10 minutes: ${series.map(({ label, total }) => `${label.toLowerCase()} ${total}`).join(', ')}.`,
  );
  empty('chart-ready', view.total.proposed === 0);
}

function reasonItems(counts: Record<string, number>, none: string): HTMLElement[] {
  const rows = byReason(counts);
  if (rows.length === 0) return [Object.assign(document.createElement('li'), { className: 'placeholder', textContent: none })];
  return rows.map(({ reason, label, count }) => {
    const item = document.createElement('li');
    item.dataset.reason = reason;
    item.append(span('', label), span('count', String(count)));
    return item;
  });
}

function renderAllocation(stats: StatsSnapshot): void {
  const view = stats.allocation;
  if (!show('panel-allocation', stats.features.allocation || view.allocators > 0)) return;
  const labels = latencyLabels(view.seconds.edges);
  const summary = allocationSummary(view, labels);
  setText(element('alloc-ok'), String(view.allocated));
  setText(element('alloc-failed'), String(view.failed));
  setText(element('alloc-success'), summary.success);
  setText(element('alloc-retries'), String(summary.retries));
  setText(element('alloc-median'), summary.median);
  setText(element('allocation-note'), `${view.allocators} allocator${view.allocators === 1 ? '' : 's'} live · last 10 minutes`);
  element('alloc-failures').replaceChildren(...reasonItems(view.failures, 'none'));
  element('alloc-retry-reasons').replaceChildren(...reasonItems(view.retries, 'none'));
  charts.alloc.update(labels, view.seconds.counts);
  element('chart-alloc').setAttribute('aria-label', `Allocation time of rooms, last 10 minutes: ${describe(labels, view.seconds.counts)}.`);
  empty(
    'chart-alloc',
    view.seconds.counts.every((count) => count === 0),
  );
}

let drawnModes = '';
function renderRatings(stats: StatsSnapshot, mode: string | null): void {
  const ratings = stats.ratings;
  if (!show('panel-ratings', ratings !== undefined)) return;
  setText(element('ratings-note'), `${ratings!.games} game${ratings!.games === 1 ? '' : 's'} rated, mean move ${ratings!.meanMove} points · last 10 min`);
  const list = element('rating-changes');
  if (ratings!.recent.length === 0)
    list.replaceChildren(Object.assign(document.createElement('li'), { className: 'placeholder', textContent: 'No results reported yet.' }));
  else
    list.replaceChildren(
      ...ratings!.recent.slice(0, 12).map((change) => {
        const item = document.createElement('li');
        item.dataset.playerId = change.playerId;
        item.dataset.roomId = change.roomId;
        const who = span('who', change.name);
        who.append(' ', span('muted', `${change.mode} · ${ago(stats.at - change.at)}`));
        const delta = change.after - change.before;
        const badge = span('delta', signed(delta));
        badge.dataset.sign = delta > 0 ? 'up' : delta < 0 ? 'down' : 'same';
        item.append(who, span('move', `${change.before} → ${change.after}`), badge);
        return item;
      }),
    );
  const select = element<HTMLSelectElement>('distribution-mode');
  const modes = ratings!.distribution.map((entry) => entry.mode);
  const shown = distributionFor(ratings, mode);
  if (modes.join() !== drawnModes) {
    drawnModes = modes.join();
    select.replaceChildren(...modes.map((name) => new Option(name, name)));
  }
  select.hidden = modes.length < 2;
  if (shown && select.value !== shown.mode) select.value = shown.mode;
  setText(element('distribution-title'), shown ? `Rating distribution · ${shown.mode} (${shown.players} rated)` : 'Rating distribution');
  const labels = shown ? ratingLabels(shown.edges) : [];
  charts.ratings.update(labels, shown?.counts ?? []);
  element('chart-ratings').dataset.mode = shown?.mode ?? '';
  element('chart-ratings').setAttribute(
    'aria-label',
    shown ? `Rated players in ${shown.mode} per ${shown.width}-point band: ${describe(labels, shown.counts)}.` : 'No rated players yet.',
  );
  empty('chart-ratings', !shown);
}
