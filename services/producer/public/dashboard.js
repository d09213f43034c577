// matchq dashboard: polls GET /stats every second and draws hand-made SVG charts (no library).

const POLL_MS = 1000;
const MAX_BACKOFF_MS = 8000;
const SVG = 'http://www.w3.org/2000/svg';
const SERIES = 6;
const MARGIN = { top: 12, right: 10, bottom: 24, left: 34 };

const $ = (selector) => document.querySelector(selector);

/** Stable colour per pool, in the order the server lists the pools. */
const poolColors = new Map();
function colorOf(pool) {
  if (!poolColors.has(pool)) poolColors.set(pool, `var(--series-${poolColors.size % SERIES})`);
  return poolColors.get(pool);
}

// ---------- SVG helpers ----------

function el(name, attributes = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function size(svg) {
  const box = svg.getBoundingClientRect();
  const width = Math.max(200, Math.round(box.width));
  const height = Math.max(120, Math.round(box.height));
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  return { width, height, innerWidth: width - MARGIN.left - MARGIN.right, innerHeight: height - MARGIN.top - MARGIN.bottom };
}

/** A rounded-up maximum with about four whole ticks. */
function niceMax(value) {
  if (value <= 4) return 4;
  const step = 10 ** Math.floor(Math.log10(value / 4));
  const candidates = [1, 2, 2.5, 5, 10].map((factor) => factor * step);
  const tick = candidates.find((candidate) => candidate * 4 >= value) ?? 10 * step;
  return tick * 4;
}

function yGrid(svg, dims, max) {
  for (let index = 0; index <= 4; index++) {
    const value = (max / 4) * index;
    const y = MARGIN.top + dims.innerHeight - (value / max) * dims.innerHeight;
    svg.append(el('line', { class: index === 0 ? 'axis' : 'grid', x1: MARGIN.left, x2: dims.width - MARGIN.right, y1: y, y2: y }));
    svg.append(el('text', { x: MARGIN.left - 6, y: y + 4, 'text-anchor': 'end' }, formatCount(value)));
  }
}

function formatCount(value) {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function emptyNote(svg, dims, text) {
  svg.append(el('text', { class: 'empty', x: MARGIN.left + dims.innerWidth / 2, y: MARGIN.top + dims.innerHeight / 2, 'text-anchor': 'middle' }, text));
}

/** Vertical bars with a label under each; `highlight` marks the last bar (a bucket still filling). */
function barChart(svg, labels, values, { emptyText = 'Nothing yet', highlightLast = false, showValues = true } = {}) {
  svg.replaceChildren();
  const dims = size(svg);
  const max = niceMax(Math.max(0, ...values));
  yGrid(svg, dims, max);
  const slot = dims.innerWidth / values.length;
  const barWidth = Math.max(3, Math.min(48, slot * 0.68));
  const labelEvery = Math.ceil(values.length / Math.max(1, Math.floor(dims.innerWidth / 44)));
  values.forEach((value, index) => {
    const x = MARGIN.left + slot * index + (slot - barWidth) / 2;
    const height = (value / max) * dims.innerHeight;
    const y = MARGIN.top + dims.innerHeight - height;
    const bar = el('rect', { class: `bar${highlightLast && index === values.length - 1 ? ' current' : ''}`, x, y, width: barWidth, height: Math.max(0, height), rx: Math.min(4, barWidth / 4) });
    bar.append(el('title', {}, `${labels[index]}: ${value}`));
    svg.append(bar);
    if (showValues && value > 0) svg.append(el('text', { class: 'bar-label', x: x + barWidth / 2, y: y - 4, 'text-anchor': 'middle' }, String(value)));
    // Labels counted from the right, so the newest bucket ("now") is always named.
    if ((values.length - 1 - index) % labelEvery === 0) svg.append(el('text', { x: x + barWidth / 2, y: dims.height - 6, 'text-anchor': 'middle' }, labels[index]));
  });
  if (values.every((value) => value === 0)) emptyNote(svg, dims, emptyText);
}

/** Step lines, one per pool, over the time span of the samples (at least a minute). */
function poolChart(svg, history, pools, now) {
  svg.replaceChildren();
  const dims = size(svg);
  const first = history.length ? history[0].at : now;
  const span = Math.max(60_000, now - first);
  const start = now - span;
  const x = (at) => MARGIN.left + ((at - start) / span) * dims.innerWidth;
  let top = 0;
  for (const sample of history) for (const value of Object.values(sample.sizes)) if (value !== null) top = Math.max(top, value);
  const max = niceMax(top);
  const y = (value) => MARGIN.top + dims.innerHeight - (value / max) * dims.innerHeight;
  yGrid(svg, dims, max);
  // Time ticks: "-Nm" / "-Ns" back from now.
  const tickStep = span > 5 * 60_000 ? 120_000 : span > 2 * 60_000 ? 60_000 : span > 60_000 ? 30_000 : 15_000;
  for (let back = 0; back <= span; back += tickStep) {
    const label = back === 0 ? 'now' : back % 60_000 === 0 ? `−${back / 60_000}m` : `−${back / 1000}s`;
    svg.append(el('text', { x: x(now - back), y: dims.height - 6, 'text-anchor': back === 0 ? 'end' : 'middle' }, label));
  }
  for (const pool of pools) {
    let path = '';
    let previous = null;
    for (const sample of history) {
      const value = sample.sizes[pool];
      if (value === null || value === undefined) {
        previous = null;
        continue;
      }
      path += previous === null ? `M${x(sample.at).toFixed(1)},${y(value).toFixed(1)}` : `H${x(sample.at).toFixed(1)}V${y(value).toFixed(1)}`;
      previous = value;
    }
    if (previous !== null) path += `H${x(now).toFixed(1)}`;
    if (!path) continue;
    svg.append(el('path', { class: 'line', d: path, stroke: colorOf(pool), 'data-pool': pool }));
  }
  if (history.length === 0) emptyNote(svg, dims, 'Waiting for the first heartbeat…');
}

// ---------- formatting ----------

function formatSeconds(seconds) {
  if (seconds < 60) return `${seconds}s`;
  return `${Math.round(seconds / 60)}m`;
}

function waitLabels(edges) {
  return edges.map((edge, index) => (index === edges.length - 1 ? `${formatSeconds(edge)}+` : `${formatSeconds(edge)}–${formatSeconds(edges[index + 1])}`));
}

function spreadLabels(edges) {
  return edges.map((edge, index) => (index === edges.length - 1 ? `${edge}+` : `${edge}–${edges[index + 1]}`));
}

function formatDuration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  return `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`;
}

function ago(ms) {
  if (ms < 1500) return 'just now';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s ago`;
  return `${Math.round(ms / 60_000)} min ago`;
}

/** Median from a histogram: the middle bucket's label. */
function medianBucket(histogram, labels) {
  const total = histogram.counts.reduce((sum, count) => sum + count, 0);
  if (total === 0) return '—';
  let seen = 0;
  for (let index = 0; index < histogram.counts.length; index++) {
    seen += histogram.counts[index];
    if (seen >= total / 2) return labels[index];
  }
  return '—';
}

// ---------- rendering ----------

function renderKpis(stats) {
  const waiting = stats.pools.reduce((sum, pool) => sum + (pool.waiting ?? 0), 0);
  $('#kpi-waiting').textContent = String(waiting);
  $('#kpi-rooms-minute').textContent = String(stats.rooms.lastMinute);
  $('#kpi-rooms-total').textContent = String(stats.rooms.total);
  $('#kpi-median-wait').textContent = medianBucket(stats.waitSeconds, waitLabels(stats.waitSeconds.edges));
  $('#kpi-matchers').textContent = String(stats.matchers.length);
}

function renderLegend(stats) {
  const legend = $('#pool-legend');
  const items = stats.pools.map((pool) => {
    const item = document.createElement('li');
    item.dataset.pool = pool.pool;
    item.style.setProperty('--series-color', colorOf(pool.pool));
    item.innerHTML = '<span class="swatch" aria-hidden="true"></span><span class="pool-name"></span><output class="pool-waiting"></output><span class="pool-owner"></span>';
    item.querySelector('.pool-name').textContent = pool.pool;
    item.querySelector('.pool-waiting').textContent = pool.waiting === null ? '—' : String(pool.waiting);
    item.querySelector('.pool-owner').textContent = pool.owner ? '' : 'no matcher';
    return item;
  });
  legend.replaceChildren(...items);
  const summary = stats.pools.map((pool) => `${pool.pool}: ${pool.waiting ?? 'unknown'} waiting`).join('; ');
  $('#chart-pools').setAttribute('aria-label', `Players waiting per pool over time. Now: ${summary || 'no pools'}.`);
  const first = stats.poolHistory[0];
  $('#pools-span').textContent = first ? `last ${formatDuration(Math.max(60_000, stats.at - first.at)).replace(/ 0s$/, '')}` : '';
}

function renderOwners(stats) {
  const container = $('#owners');
  const cards = stats.matchers.map((matcher) => ownerCard(matcher.id, `beat ${ago(stats.at - matcher.at)}`, stats.pools.filter((pool) => pool.owner === matcher.id), false));
  const orphans = stats.pools.filter((pool) => !pool.owner);
  if (orphans.length) cards.push(ownerCard('No matcher', 'unowned', orphans, true));
  if (cards.length === 0) {
    const note = document.createElement('p');
    note.className = 'placeholder';
    note.textContent = 'No pools configured.';
    cards.push(note);
  }
  container.replaceChildren(...cards);
}

function ownerCard(name, beat, pools, orphan) {
  const card = document.createElement('article');
  card.className = `owner${orphan ? ' orphan' : ''}`;
  card.dataset.matcher = orphan ? '' : name;
  card.innerHTML = '<div class="owner-head"><span class="owner-name"></span><span class="owner-beat"></span></div><ul class="chips"></ul>';
  card.querySelector('.owner-name').textContent = name;
  card.querySelector('.owner-name').title = name;
  card.querySelector('.owner-beat').textContent = beat;
  const chips = card.querySelector('.chips');
  if (pools.length === 0) {
    const none = document.createElement('li');
    none.className = 'placeholder';
    none.textContent = 'owns no pool (standby)';
    chips.append(none);
  }
  for (const pool of pools) {
    const chip = document.createElement('li');
    chip.className = 'chip';
    chip.dataset.pool = pool.pool;
    chip.style.setProperty('--series-color', colorOf(pool.pool));
    chip.textContent = pool.pool;
    if (pool.lastTickMs !== null && pool.lastTickMs !== undefined) {
      const tick = document.createElement('span');
      tick.className = 'muted';
      tick.textContent = `tick ${pool.lastTickMs < 10 ? pool.lastTickMs.toFixed(1) : Math.round(pool.lastTickMs)} ms`;
      chip.append(tick);
    }
    chips.append(chip);
  }
  return card;
}

function renderRecent(stats) {
  const list = $('#recent');
  if (stats.rooms.recent.length === 0) {
    const empty = document.createElement('li');
    empty.className = 'placeholder';
    empty.textContent = 'No rooms in the last 10 minutes yet.';
    return list.replaceChildren(empty);
  }
  list.replaceChildren(...stats.rooms.recent.map((room) => {
    const item = document.createElement('li');
    item.innerHTML = '<strong></strong><span></span><span class="muted"></span>';
    item.querySelector('strong').textContent = room.pool;
    item.querySelector('span').textContent = `${room.players} players · spread ${Math.round(room.spread)}`;
    item.querySelector('.muted').textContent = `mean wait ${formatDuration(room.meanWaitMs)} · ${ago(stats.at - room.at)}`;
    return item;
  }));
}

function render(stats) {
  document.body.dataset.loaded = 'true';
  renderKpis(stats);
  renderLegend(stats);
  poolChart($('#chart-pools'), stats.poolHistory, stats.pools.map((pool) => pool.pool), stats.at);

  const perMinute = stats.rooms.perMinute;
  // Whole wall-clock minutes back from the one in progress ("now", drawn lighter: it is still filling).
  const minuteLabels = perMinute.map((_, index) => (index === perMinute.length - 1 ? 'now' : `−${perMinute.length - 1 - index}m`));
  barChart($('#chart-rooms'), minuteLabels, perMinute.map((bucket) => bucket.count), { emptyText: 'No rooms yet', highlightLast: true });
  $('#chart-rooms').setAttribute('aria-label', `Rooms per minute over the last 10 minutes: ${stats.rooms.total} in all, ${stats.rooms.lastMinute} in the last minute.`);

  const waits = waitLabels(stats.waitSeconds.edges);
  barChart($('#chart-wait'), waits, stats.waitSeconds.counts, { emptyText: 'No players matched yet' });
  $('#chart-wait').setAttribute('aria-label', `Wait times of matched players: ${describe(waits, stats.waitSeconds.counts)}.`);

  const spreads = spreadLabels(stats.spread.edges);
  barChart($('#chart-spread'), spreads, stats.spread.counts, { emptyText: 'No rooms yet' });
  $('#chart-spread').setAttribute('aria-label', `Rating spread of rooms: ${describe(spreads, stats.spread.counts)}.`);

  renderOwners(stats);
  renderRecent(stats);
  $('#updated').textContent = `updated ${new Date(stats.at).toLocaleTimeString()}`;
}

function describe(labels, counts) {
  const parts = labels.flatMap((label, index) => (counts[index] ? [`${counts[index]} in ${label}`] : []));
  return parts.length ? parts.join(', ') : 'none yet';
}

// ---------- polling ----------

let failures = 0;
let last;

function setFeed(kind, text) {
  $('#feed').dataset.state = kind;
  $('#feed-text').textContent = text;
}

function setAlert(text) {
  $('#alert').hidden = !text;
  $('#alert-text').textContent = text ?? '';
}

async function poll() {
  try {
    const response = await fetch('/stats', { cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    last = await response.json();
    failures = 0;
    render(last);
    if (last.live) {
      setFeed('online', 'Live');
      setAlert();
    } else {
      setFeed('connecting', 'Stale');
      setAlert("The gateway can't read the matchers' heartbeats from Redis right now; pool figures may be out of date.");
    }
  } catch {
    failures += 1;
    setFeed('offline', 'Offline');
    setAlert("Can't reach the gateway. The figures below are from the last successful update; retrying…");
  }
  setTimeout(poll, Math.min(MAX_BACKOFF_MS, POLL_MS * 2 ** Math.max(0, failures - 1)));
}

// Redraw at the new width when the window is resized.
let resizeTimer;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => { if (last) render(last); }, 100);
});

void poll();
