import { expect } from 'chai';
import type { MatcherStatus } from '../../common/presence.js';
import {
  bucketOf,
  emptyFigures,
  emptyProposals,
  makeupOf,
  recordProposal,
  recordRoom,
  RECENT_ROOMS,
  SPREAD_EDGES,
  WAIT_EDGES_S,
  type RoomFigures,
} from '../../common/room-figures.js';
import { ALLOCATION_EDGES_S, emptyAllocatorFigures, recordAllocation, recordRetry } from '../../common/allocator-figures.js';
import type { RoomEvent } from '../../common/messages.js';
import {
  allocationDelta,
  figuresDelta,
  MAX_SAMPLES,
  poolViews,
  prune,
  roomsPerMinute,
  sumSamples,
  summarize,
  STATS_WINDOW_MS,
  type RoomsSample,
} from '../../services/producer/stats.js';
import { MAX_BUCKETS, RATING_BUCKET, ratingDistribution } from '../../services/producer/rating-figures.js';

const MINUTE = 60_000;
const roomEvent = (spread: number, waits: number[]): RoomEvent => ({
  v: 1,
  id: '6c1a0b9e-0a47-4c1c-9d59-2f2a3f0c8d11',
  mode: 'ffa3',
  region: 'eu',
  createdAt: '2030-01-01T00:00:00.000Z',
  spread,
  imbalance: 0,
  players: waits.map((waitedMs, index) => ({ playerId: `p${index}`, ticketId: `t${index}`, name: 'n', rating: 1500, team: 0, waitedMs })),
});
const sample = (at: number, rooms = 1): RoomsSample => ({
  at,
  rooms,
  waitCounts: WAIT_EDGES_S.map(() => 0),
  spreadCounts: SPREAD_EDGES.map(() => 0),
  makeups: {},
  proposals: emptyProposals(),
});

describe('stats (dashboard figures)', () => {
  describe('room figures a matcher keeps', () => {
    it('puts values in their bucket, the last one open-ended, below the first edge the first', () => {
      expect([0, 0.5, 1, 4.9, 5, 99, -3].map((value) => bucketOf(value, [0, 1, 5]))).to.deep.equal([0, 0, 1, 1, 2, 2, 0]);
    });

    it('counts rooms, players per wait bucket and rooms per spread bucket, and keeps the latest rooms newest first', () => {
      const figures = emptyFigures(0);
      recordRoom(figures, roomEvent(30, [500, 1500, 70_000]), 10);
      for (let index = 0; index < RECENT_ROOMS + 2; index++) recordRoom(figures, roomEvent(0, [0]), 20 + index);
      expect(figures.rooms).to.equal(RECENT_ROOMS + 3);
      expect(figures.waitCounts[bucketOf(0.5, WAIT_EDGES_S)]).to.equal(RECENT_ROOMS + 3);
      expect(figures.waitCounts[bucketOf(70, WAIT_EDGES_S)]).to.equal(1);
      expect(figures.spreadCounts[bucketOf(30, SPREAD_EDGES)]).to.equal(1);
      expect(figures.recent).to.have.length(RECENT_ROOMS);
      expect(figures.recent[0]!.at).to.equal(20 + RECENT_ROOMS + 1);
    });
  });

  describe('figuresDelta', () => {
    const after = (figures: RoomFigures, ...rooms: RoomEvent[]) => {
      const next = structuredClone(figures);
      rooms.forEach((room) => recordRoom(next, room, 1));
      return next;
    };

    it('counts nothing for a matcher seen for the first time, then what it formed between two reads', () => {
      const first = after(emptyFigures(5), roomEvent(10, [1000]));
      expect(figuresDelta(undefined, first, 1).rooms).to.equal(0);
      const second = after(first, roomEvent(10, [1000, 2000]), roomEvent(60, [3000]));
      const delta = figuresDelta(first, second, 2);
      expect(delta.rooms).to.equal(2);
      expect(delta.waitCounts.reduce((a, b) => a + b, 0)).to.equal(3);
      expect(delta.spreadCounts[bucketOf(60, SPREAD_EDGES)]).to.equal(1);
    });

    it('counts from zero again after the matcher restarted', () => {
      const before = after(emptyFigures(5), roomEvent(10, [1000]), roomEvent(10, [1000]));
      const restarted = after(emptyFigures(9), roomEvent(10, [1000]));
      expect(figuresDelta(before, restarted, 3).rooms).to.equal(1);
    });
  });

  describe('roomsPerMinute', () => {
    it('adds rooms per wall-clock minute, oldest first, the current minute last', () => {
      const now = 100 * MINUTE + 30_000;
      const buckets = roomsPerMinute([sample(100 * MINUTE + 1, 2), sample(99 * MINUTE, 1), sample(80 * MINUTE, 4)], now, 3);
      expect(buckets).to.deep.equal([
        { at: 98 * MINUTE, count: 0 },
        { at: 99 * MINUTE, count: 1 },
        { at: 100 * MINUTE, count: 2 },
      ]);
    });
  });

  describe('prune', () => {
    it('drops samples older than the window', () => {
      const now = 20 * MINUTE;
      const kept = prune([sample(now - STATS_WINDOW_MS - 1), sample(now - STATS_WINDOW_MS), sample(now)], now, 100);
      expect(kept.map((entry) => entry.at)).to.deep.equal([now - STATS_WINDOW_MS, now]);
    });

    it('keeps at most `cap` samples, the newest', () => {
      const samples = Array.from({ length: MAX_SAMPLES + 5 }, (_, index) => sample(index));
      const kept = prune(samples, MAX_SAMPLES + 5, MAX_SAMPLES);
      expect(kept).to.have.length(MAX_SAMPLES);
      expect(kept[0]!.at).to.equal(5);
    });
  });

  it('adds samples up bucket by bucket', () => {
    const one = { ...sample(1, 2), waitCounts: WAIT_EDGES_S.map((_, index) => index) };
    const total = sumSamples([one, one], 9);
    expect(total.rooms).to.equal(4);
    expect(total.waitCounts).to.deep.equal(WAIT_EDGES_S.map((_, index) => 2 * index));
  });

  describe('poolViews', () => {
    const pools = [
      { mode: 'ffa3', region: 'eu' },
      { mode: 'ffa3', region: 'us' },
    ];

    it('names the owner and size of each configured pool, null where no matcher owns it', () => {
      const statuses: MatcherStatus[] = [{ id: 'm1', at: 10, pools: [{ pool: 'ffa3.eu', waiting: 4, lastTickMs: 2 }] }];
      expect(poolViews(pools, statuses)).to.deep.equal([
        { pool: 'ffa3.eu', mode: 'ffa3', region: 'eu', waiting: 4, players: 4, held: null, owner: 'm1', lastTickMs: 2 },
        { pool: 'ffa3.us', mode: 'ffa3', region: 'us', waiting: null, players: null, held: null, owner: null, lastTickMs: null },
      ]);
    });

    it('counts the players of party tickets beside the tickets', () => {
      const statuses: MatcherStatus[] = [{ id: 'm1', at: 10, pools: [{ pool: 'ffa3.eu', waiting: 2, players: 5, lastTickMs: 2 }] }];
      expect(poolViews(pools, statuses)[0]).to.include({ waiting: 2, players: 5 });
    });

    it('takes the freshest heartbeat when two matchers list a pool during a hand-over', () => {
      const statuses: MatcherStatus[] = [
        { id: 'm2', at: 20, pools: [{ pool: 'ffa3.eu', waiting: 1, lastTickMs: 1 }] },
        { id: 'm1', at: 10, pools: [{ pool: 'ffa3.eu', waiting: 9, lastTickMs: 1 }] },
      ];
      expect(poolViews(pools, statuses)[0]).to.include({ owner: 'm2', waiting: 1 });
    });
  });

  describe('v1.1 figures: party make-up, the ready check, allocation', () => {
    const party = (id: string | null, count: number) => Array.from({ length: count }, () => id);
    const roomOf = (parties: (string | null)[]): RoomEvent => {
      const room = roomEvent(
        10,
        parties.map(() => 1000),
      );
      return { ...room, players: room.players.map((player, index) => ({ ...player, partyId: parties[index] })) };
    };

    it("names a room's make-up by its tickets' sizes, largest first", () => {
      expect(makeupOf(roomOf([null, null, null]))).to.equal('1+1+1');
      expect(makeupOf(roomOf([null, 'a', null, 'a']))).to.equal('2+1+1');
      expect(makeupOf(roomOf([...party('b', 2), ...party('c', 3), null]))).to.equal('3+2+1');
      const figures = emptyFigures(0);
      recordRoom(figures, roomOf([null, 'a', 'a', null]), 1);
      recordRoom(figures, roomOf([null, 'x', 'x', null]), 2);
      recordRoom(figures, roomOf([null, null, null, null]), 3);
      expect(figures.makeups).to.deep.equal({ '2+1+1': 2, '1+1+1+1': 1 });
    });

    it('counts proposals and their outcomes, and takes their per-read deltas as for rooms', () => {
      const first = emptyFigures(5);
      recordProposal(first, 'proposed');
      const second = structuredClone(first);
      for (const outcome of ['proposed', 'proposed', 'accepted', 'declined', 'accept_timeout', 'allocation_failed'] as const) recordProposal(second, outcome);
      recordRoom(second, roomOf([null, 'a', 'a']), 1);
      const delta = figuresDelta(first, second, 2);
      expect(delta.proposals).to.deep.equal({ proposed: 2, accepted: 1, declined: 1, timedOut: 1, other: 1 });
      expect(delta.makeups).to.deep.equal({ '2+1': 1 });
      // A heartbeat of a matcher from before v1.1 has neither: it counts none.
      const { makeups: _makeups, proposals: _proposals, ...old } = second;
      expect(figuresDelta(old, old, 3).proposals).to.deep.equal(emptyProposals());
    });

    it("counts an allocator's rooms, failures and retries by reason and its allocation times, from zero again after a restart", () => {
      const first = emptyAllocatorFigures(5);
      recordAllocation(first, 0.02);
      const second = structuredClone(first);
      recordAllocation(second, 0.3);
      recordAllocation(second, 31, 'budget_spent');
      recordAllocation(second, 0.01, 'rejected');
      recordRetry(second, 'server_error');
      recordRetry(second, 'server_error');
      const delta = allocationDelta(first, second, 9);
      expect(delta).to.deep.include({ allocated: 1, failed: 2, failures: { budget_spent: 1, rejected: 1 }, retries: { server_error: 2 } });
      expect(delta.latencyCounts[0]).to.equal(1);
      expect(delta.latencyCounts[ALLOCATION_EDGES_S.length - 1]).to.equal(1);
      expect(allocationDelta(undefined, second, 9).allocated).to.equal(0);
      const restarted = emptyAllocatorFigures(7);
      recordAllocation(restarted, 1);
      expect(allocationDelta(second, restarted, 10)).to.deep.include({ allocated: 1, failed: 0 });
    });

    it('summarizes the ready check per minute and allocation over the window', () => {
      const now = 30 * MINUTE + 30_000;
      const proposals = { proposed: 3, accepted: 1, declined: 1, timedOut: 1, other: 0 };
      const snapshot = summarize({
        now,
        live: true,
        statuses: [],
        pools: [],
        poolHistory: [],
        rooms: [
          { ...sample(now - 1000, 1), proposals, makeups: { '2+1': 1 } },
          { ...sample(now - 3 * MINUTE, 0), proposals },
          { ...sample(now - STATS_WINDOW_MS - 1, 0), proposals },
        ],
        allocations: [
          { at: now - 500, allocated: 2, failed: 1, failures: { rejected: 1 }, retries: { timeout: 3 }, latencyCounts: ALLOCATION_EDGES_S.map(() => 1) },
          { at: now - STATS_WINDOW_MS - 1, allocated: 9, failed: 9, failures: { rejected: 9 }, retries: {}, latencyCounts: ALLOCATION_EDGES_S.map(() => 0) },
        ],
        allocators: [],
        features: { parties: true, readyCheck: true, allocation: true },
      });
      expect(snapshot.readyCheck.total).to.deep.equal({ proposed: 6, accepted: 2, declined: 2, timedOut: 2, other: 0 });
      expect(snapshot.readyCheck.perMinute).to.have.length(10);
      expect(snapshot.readyCheck.perMinute.at(-1)).to.include({ proposed: 3, declined: 1 });
      expect(snapshot.readyCheck.perMinute.at(-4)).to.include({ proposed: 3 });
      expect(snapshot.makeups).to.deep.equal({ '2+1': 1 });
      expect(snapshot.allocation).to.deep.include({ allocated: 2, failed: 1, failures: { rejected: 1 }, retries: { timeout: 3 } });
      expect(snapshot.allocation.perMinute.at(-1)).to.include({ allocated: 2, failed: 1, retries: 3 });
      expect(snapshot.allocation.seconds.counts.reduce((a, b) => a + b, 0)).to.equal(ALLOCATION_EDGES_S.length);
    });
  });

  describe('summarize', () => {
    it('reports rooms of the last ten minutes, the last minute, the distributions and the latest rooms of all matchers', () => {
      const now = 30 * MINUTE;
      const withWaits = {
        ...sample(now - 1000, 2),
        waitCounts: WAIT_EDGES_S.map((_, index) => (index === 1 ? 3 : 0)),
        spreadCounts: SPREAD_EDGES.map((_, index) => (index === 2 ? 2 : 0)),
      };
      const statuses: MatcherStatus[] = [
        { id: 'm1', at: now, pools: [], figures: { ...emptyFigures(0), recent: [{ at: 5, pool: 'ffa3.eu', spread: 30, players: 3, meanWaitMs: 100 }] } },
        { id: 'm2', at: now, pools: [], figures: { ...emptyFigures(0), recent: [{ at: 9, pool: 'ffa3.us', spread: 120, players: 3, meanWaitMs: 200 }] } },
      ];
      const snapshot = summarize({
        now,
        live: true,
        statuses,
        pools: [],
        poolHistory: [
          { at: now - STATS_WINDOW_MS - 1, sizes: {} },
          { at: now, sizes: { 'ffa3.eu': 2 } },
        ],
        rooms: [sample(now - STATS_WINDOW_MS - 1, 7), sample(now - 2 * MINUTE, 1), withWaits],
      });
      expect(snapshot.rooms.total).to.equal(3);
      expect(snapshot.rooms.lastMinute).to.equal(2);
      expect(snapshot.rooms.perMinute.reduce((sum, bucket) => sum + bucket.count, 0)).to.equal(3);
      expect(snapshot.rooms.recent.map((entry) => entry.spread)).to.deep.equal([120, 30]);
      expect(snapshot.poolHistory).to.have.length(1);
      expect(snapshot.waitSeconds).to.deep.equal({ edges: WAIT_EDGES_S, counts: withWaits.waitCounts });
      expect(snapshot.spread.counts.reduce((a, b) => a + b, 0)).to.equal(2);
      expect(snapshot.matchers.map((matcher) => matcher.id)).to.deep.equal(['m1', 'm2']);
    });
  });
});

describe('rating figures (dashboard: ratings moving)', () => {
  it('turns rated players per 100-point bucket into one gapless histogram a mode', () => {
    const distribution = ratingDistribution([
      { mode: 'ffa3', bucket: 1400, players: 2 },
      { mode: 'ffa3', bucket: 1700, players: 1 },
      { mode: 'duo', bucket: 1500, players: 4 },
      { mode: 'ffa3', bucket: 1400, players: 1 },
    ]);
    expect(distribution).to.deep.equal([
      { mode: 'duo', width: 100, edges: [1500], counts: [4], players: 4 },
      { mode: 'ffa3', width: 100, edges: [1400, 1500, 1600, 1700], counts: [3, 0, 0, 1], players: 4 },
    ]);
  });

  it('draws a mode spread wider than MAX_BUCKETS in wider buckets, every player counted once', () => {
    const rows = Array.from({ length: 60 }, (_, index) => ({ mode: 'ffa3', bucket: index * RATING_BUCKET, players: 1 }));
    const [ffa3] = ratingDistribution(rows);
    expect(ffa3!.edges.length).to.be.at.most(MAX_BUCKETS);
    expect(ffa3!.width).to.equal(300);
    expect(ffa3!.players).to.equal(60);
    expect(ffa3!.counts.reduce((sum, count) => sum + count, 0)).to.equal(60);
    expect(ffa3!.edges[0]).to.equal(0);
  });
});
