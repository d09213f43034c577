// Draws the dashboard from its state: figures, legend, owners and latest rooms as HTML, the
// four charts through charts.ts.
import type { PoolView, StatsSnapshot } from '../../stats-snapshot.js';
import { barChart, poolChart } from './charts.js';
import { ago, describe, formatDuration, medianBucket, minuteLabels, poolSeries, spreadLabels, waitLabels } from './figures.js';
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
  setText(element('updated'), `updated ${new Date(stats.at).toLocaleTimeString()}`);
}

function renderKpis(stats: StatsSnapshot): void {
  setText(element('kpi-waiting'), String(stats.pools.reduce((sum, pool) => sum + (pool.waiting ?? 0), 0)));
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
        Object.assign(document.createElement('output'), { className: 'pool-waiting', textContent: pool.waiting === null ? '—' : String(pool.waiting) }),
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
  const summary = stats.pools.map((pool) => `${pool.pool}: ${pool.waiting ?? 'unknown'} waiting`).join('; ');
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
