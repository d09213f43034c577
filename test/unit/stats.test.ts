import { expect } from 'chai';
import type { MatcherStatus } from '../../common/presence.js';
import {
  histogram, MAX_ROOM_SAMPLES, poolViews, prune, roomSample, roomsPerMinute, summarize, STATS_WINDOW_MS, type RoomSample,
} from '../../services/producer/stats.js';

const MINUTE = 60_000;
const room = (at: number, spread = 10, waits = [1000, 2000, 3000], pool = 'ffa3.global'): RoomSample => ({ at, pool, spread, waits });

describe('stats (dashboard figures)', () => {
  describe('histogram', () => {
    it('counts values per bucket, the last one open-ended', () => {
      expect(histogram([0, 0.5, 1, 4.9, 5, 99], [0, 1, 5]).counts).to.deep.equal([2, 2, 2]);
    });

    it('puts values below the first edge into the first bucket and keeps empty buckets', () => {
      expect(histogram([-3], [0, 10, 20]).counts).to.deep.equal([1, 0, 0]);
      expect(histogram([], [0, 10]).counts).to.deep.equal([0, 0]);
    });
  });

  describe('roomsPerMinute', () => {
    it('counts rooms per wall-clock minute, oldest first, the current minute last', () => {
      const now = 100 * MINUTE + 30_000;
      const buckets = roomsPerMinute([room(100 * MINUTE + 1), room(100 * MINUTE + 2), room(99 * MINUTE), room(80 * MINUTE)], now, 3);
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
      const kept = prune([room(now - STATS_WINDOW_MS - 1), room(now - STATS_WINDOW_MS), room(now)], now, 100);
      expect(kept.map((sample) => sample.at)).to.deep.equal([now - STATS_WINDOW_MS, now]);
    });

    it('keeps at most `cap` samples, the newest', () => {
      const samples = Array.from({ length: MAX_ROOM_SAMPLES + 5 }, (_, index) => room(index));
      const kept = prune(samples, MAX_ROOM_SAMPLES + 5, MAX_ROOM_SAMPLES);
      expect(kept).to.have.length(MAX_ROOM_SAMPLES);
      expect(kept[0]!.at).to.equal(5);
    });
  });

  describe('roomSample', () => {
    const event = {
      v: 1, id: '6c1a0b9e-0a47-4c1c-9d59-2f2a3f0c8d11', mode: 'ffa3', region: 'global', createdAt: '2030-01-01T00:00:00.000Z', spread: 37, imbalance: 0,
      players: [{ playerId: 'p1', ticketId: 't1', name: 'ada', rating: 1500, team: 0, waitedMs: 1830 }],
    };

    it('reads pool, spread and waits from a room event', () => {
      const now = Date.parse('2030-01-01T00:00:01.000Z');
      expect(roomSample(event, now)).to.deep.equal({ at: Date.parse(event.createdAt), pool: 'ffa3.global', spread: 37, waits: [1830] });
    });

    it('never dates a room in the future and rejects what is not a room', () => {
      expect(roomSample(event, 5)!.at).to.equal(5);
      expect(roomSample({ v: 1, id: 'x' }, 5)).to.equal(undefined);
    });
  });

  describe('poolViews', () => {
    const pools = [{ mode: 'ffa3', region: 'eu' }, { mode: 'ffa3', region: 'us' }];

    it('names the owner and size of each configured pool, null where no matcher owns it', () => {
      const statuses: MatcherStatus[] = [{ id: 'm1', at: 10, pools: [{ pool: 'ffa3.eu', waiting: 4, lastTickMs: 2 }] }];
      expect(poolViews(pools, statuses)).to.deep.equal([
        { pool: 'ffa3.eu', mode: 'ffa3', region: 'eu', waiting: 4, held: null, owner: 'm1', lastTickMs: 2 },
        { pool: 'ffa3.us', mode: 'ffa3', region: 'us', waiting: null, held: null, owner: null, lastTickMs: null },
      ]);
    });

    it('takes the freshest heartbeat when two matchers list a pool during a hand-over', () => {
      const statuses: MatcherStatus[] = [
        { id: 'm2', at: 20, pools: [{ pool: 'ffa3.eu', waiting: 1, lastTickMs: 1 }] },
        { id: 'm1', at: 10, pools: [{ pool: 'ffa3.eu', waiting: 9, lastTickMs: 1 }] },
      ];
      expect(poolViews(pools, statuses)[0]).to.include({ owner: 'm2', waiting: 1 });
    });
  });

  describe('summarize', () => {
    it('reports rooms of the last ten minutes, the last minute and the distributions', () => {
      const now = 30 * MINUTE;
      const snapshot = summarize({
        now, live: true, statuses: [], pools: [], poolHistory: [{ at: now - STATS_WINDOW_MS - 1, sizes: {} }, { at: now, sizes: { 'ffa3.eu': 2 } }],
        rooms: [room(now - STATS_WINDOW_MS - 1), room(now - 2 * MINUTE, 30, [500]), room(now - 1000, 120, [2500, 70_000])],
      });
      expect(snapshot.rooms.total).to.equal(2);
      expect(snapshot.rooms.lastMinute).to.equal(1);
      expect(snapshot.rooms.perMinute.reduce((sum, bucket) => sum + bucket.count, 0)).to.equal(2);
      expect(snapshot.rooms.recent.map((entry) => entry.spread)).to.deep.equal([120, 30]);
      expect(snapshot.rooms.recent[0]!.meanWaitMs).to.equal(36_250);
      expect(snapshot.poolHistory).to.have.length(1);
      expect(snapshot.waitSeconds.counts.reduce((a, b) => a + b, 0)).to.equal(3);
      expect(snapshot.spread.counts.reduce((a, b) => a + b, 0)).to.equal(2);
    });
  });
});
