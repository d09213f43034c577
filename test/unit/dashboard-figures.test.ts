import { expect } from 'chai';
import type { StatsSnapshot } from '../../services/producer/stats-snapshot.js';
import {
  acceptRate,
  ago,
  allocationSummary,
  byReason,
  distributionFor,
  latencyLabels,
  makeupBars,
  makeupLabel,
  partyShare,
  readyCheckSeries,
  reasonLabel,
  describe as describeCounts,
  formatDuration,
  labelledBars,
  medianBucket,
  minuteLabels,
  niceMax,
  poolSeries,
  spreadLabels,
  timeLabel,
  timeTicks,
  waitLabels,
} from '../../services/producer/web/dashboard/figures.js';
import { feed, initialState, nextPollMs, update } from '../../services/producer/web/dashboard/state.js';

/** The dashboard's figures and its state, without a DOM or a chart. */

function snapshot(overrides: Partial<StatsSnapshot> = {}): StatsSnapshot {
  return {
    v: 1,
    at: 100_000,
    windowMs: 600_000,
    live: true,
    matchers: [],
    pools: [
      { pool: 'duo.eu', mode: 'duo', region: 'eu', waiting: 3, players: 5, held: 0, owner: 'm0', lastTickMs: 0.4 },
      { pool: 'duo.us', mode: 'duo', region: 'us', waiting: null, players: null, held: null, owner: null, lastTickMs: null },
    ],
    poolHistory: [
      { at: 70_000, sizes: { 'duo.eu': 1, 'duo.us': null } },
      { at: 90_000, sizes: { 'duo.eu': 3, 'duo.us': null } },
    ],
    rooms: { total: 0, lastMinute: 0, perMinute: [], recent: [] },
    waitSeconds: { edges: [0, 5, 10, 60], counts: [0, 2, 1, 0] },
    spread: { edges: [0, 10, 25], counts: [1, 0, 0] },
    features: { parties: true, readyCheck: true, allocation: true },
    makeups: {},
    readyCheck: { total: { proposed: 0, accepted: 0, declined: 0, timedOut: 0, other: 0 }, perMinute: [] },
    allocation: { allocators: 0, allocated: 0, failed: 0, failures: {}, retries: {}, seconds: { edges: [0, 1], counts: [0, 0] }, perMinute: [] },
    ...overrides,
  };
}

describe('dashboard figures', () => {
  it('labels buckets, minutes and times as the charts print them', () => {
    expect(waitLabels([0, 5, 60, 120])).to.deep.equal(['0s–5s', '5s–1m', '1m–2m', '2m+']);
    expect(spreadLabels([0, 10, 25])).to.deep.equal(['0–10', '10–25', '25+']);
    expect(minuteLabels(3)).to.deep.equal(['−2m', '−1m', 'now']);
    expect(timeTicks(60)).to.deep.equal([-60, -45, -30, -15, 0]);
    expect(timeTicks(400).at(-1)).to.equal(0);
    expect([0, -30, -60, -120].map(timeLabel)).to.deep.equal(['now', '−30s', '−1m', '−2m']);
    // Counted from the right, so "now" is always labelled.
    expect(labelledBars(10, 4)).to.deep.equal([0, 3, 6, 9]);
    expect(labelledBars(4, 40)).to.deep.equal([0, 1, 2, 3]);
  });

  it('formats durations and ages, rounds chart tops, finds the median bucket', () => {
    expect([420, 4200, 42_000, 125_000].map(formatDuration)).to.deep.equal(['420 ms', '4.2 s', '42 s', '2m 5s']);
    expect([500, 12_000, 180_000].map(ago)).to.deep.equal(['just now', '12 s ago', '3 min ago']);
    expect([0, 3, 5, 17, 130].map(niceMax)).to.deep.equal([4, 4, 8, 20, 200]);
    expect(medianBucket({ edges: [0, 5, 10], counts: [1, 1, 3] }, ['a', 'b', 'c'])).to.equal('c');
    expect(medianBucket({ edges: [0, 5], counts: [0, 0] }, ['a', 'b'])).to.equal('—');
    expect(describeCounts(['a', 'b'], [2, 0])).to.equal('2 in a');
    expect(describeCounts(['a'], [0])).to.equal('none yet');
  });

  it("turns the pool history into seconds back from now, each pool's size held to now", () => {
    const series = poolSeries(snapshot());
    expect(series.x).to.deep.equal([-30, -10, 0]);
    expect(series.spanS).to.equal(60);
    expect(series.sizes).to.deep.equal([
      { pool: 'duo.eu', values: [1, 3, 3] },
      { pool: 'duo.us', values: [null, null, null] },
    ]);
    expect(poolSeries(snapshot({ poolHistory: [{ at: 0, sizes: {} }] })).spanS).to.equal(100);
  });
});

describe('dashboard figures, v1.1', () => {
  it('names party make-ups, most common first, and the share of rooms with a party', () => {
    expect(['1+1+1', '2+1+1', '3', '3+2', '5+1+1+1+1+1'].map(makeupLabel)).to.deep.equal(['3 solos', '2 + 2 solos', '3', '3 + 2', '5 + 5 solos']);
    expect(makeupBars({ '1+1+1+1': 2, '2+1+1': 2, '2+2': 1, '3+1': 0 })).to.deep.equal({
      keys: ['2+1+1', '1+1+1+1', '2+2'],
      labels: ['2 + 2 solos', '4 solos', '2 + 2'],
      counts: [2, 2, 1],
    });
    expect(partyShare({ '1+1+1+1': 3, '2+1+1': 1 })).to.equal(25);
    expect(partyShare({})).to.equal(null);
  });

  it('draws the ready check per minute, one line per outcome, and its accept rate', () => {
    const view = {
      total: { proposed: 4, accepted: 2, declined: 1, timedOut: 1, other: 0 },
      perMinute: [
        { at: 0, proposed: 1, accepted: 0, declined: 1, timedOut: 0, other: 0 },
        { at: 60_000, proposed: 3, accepted: 2, declined: 0, timedOut: 1, other: 0 },
      ],
    };
    const { labels, series } = readyCheckSeries(view);
    expect(labels).to.deep.equal(['−1m', 'now']);
    expect(series.map(({ key, values, total }) => [key, values, total])).to.deep.equal([
      ['proposed', [1, 3], 4],
      ['accepted', [0, 2], 2],
      ['declined', [1, 0], 1],
      ['timedOut', [0, 1], 1],
    ]);
    expect(acceptRate(view)).to.equal(50);
    expect(acceptRate({ ...view, total: { proposed: 2, accepted: 0, declined: 0, timedOut: 0, other: 0 } })).to.equal(null);
  });

  it('sums allocation up: success rate, median time, retries, reasons in words, largest first', () => {
    const labels = latencyLabels([0, 0.05, 0.5, 2, 30]);
    expect(labels).to.deep.equal(['<50ms', '50ms', '500ms', '2s', '30s+']);
    const view = {
      allocators: 2,
      allocated: 3,
      failed: 1,
      failures: { rejected: 1 },
      retries: { timeout: 1, server_error: 4 },
      seconds: { edges: [0, 0.05, 0.5, 2, 30], counts: [0, 1, 2, 0, 1] },
      perMinute: [],
    };
    expect(allocationSummary(view, labels)).to.deep.equal({ success: '75%', median: '500ms', retries: 5 });
    expect(allocationSummary({ ...view, allocated: 0, failed: 0 }, labels).success).to.equal('—');
    expect(byReason(view.retries)).to.deep.equal([
      { reason: 'server_error', label: 'fleet error (5xx)', count: 4 },
      { reason: 'timeout', label: 'no answer in time', count: 1 },
    ]);
    expect(reasonLabel('something_new')).to.equal('something new');
  });

  it('draws the chosen mode’s rating distribution, else the mode with most rated players', () => {
    const ratings = {
      recent: [],
      games: 0,
      moved: 0,
      meanMove: 0,
      distribution: [
        { mode: 'duo', width: 100, edges: [1500], counts: [2], players: 2 },
        { mode: 'ffa3', width: 100, edges: [1400, 1500], counts: [3, 1], players: 4 },
      ],
    };
    expect(distributionFor(ratings, null)?.mode).to.equal('ffa3');
    expect(distributionFor(ratings, 'duo')?.mode).to.equal('duo');
    expect(distributionFor(ratings, 'gone')?.mode).to.equal('ffa3');
    expect(distributionFor(undefined, null)).to.equal(undefined);
    expect(update(initialState, { type: 'rating-mode', mode: 'duo' }).ratingMode).to.equal('duo');
  });
});

describe('dashboard state', () => {
  it('keeps the last figures through failures, backing off to 8 s, and says how fresh they are', () => {
    expect(feed(initialState)).to.deep.equal({ kind: 'connecting', text: 'Loading…', alert: null });
    const live = update(initialState, { type: 'stats', stats: snapshot() });
    expect(feed(live)).to.include({ kind: 'online', text: 'Live', alert: null });
    expect(nextPollMs(live)).to.equal(1000);

    let failing = live;
    const delays: number[] = [];
    for (let index = 0; index < 6; index++) {
      failing = update(failing, { type: 'failed' });
      delays.push(nextPollMs(failing));
    }
    expect(delays).to.deep.equal([1000, 2000, 4000, 8000, 8000, 8000]);
    expect(failing.stats).to.equal(live.stats);
    expect(feed(failing)).to.include({ kind: 'offline', text: 'Offline' });

    const stale = update(failing, { type: 'stats', stats: snapshot({ live: false }) });
    expect(stale.failures).to.equal(0);
    expect(feed(stale).text).to.equal('Stale');
    expect(feed(stale).alert).to.match(/heartbeats/);
  });
});
