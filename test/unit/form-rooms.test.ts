import { expect } from 'chai';
import fc from 'fast-check';
import { formRooms, type FormingPolicy } from '../../core/form-rooms.js';
import { createBaselinePool } from '../../bench/matcher/baseline-matcher.js';
import { createPool } from '../../core/pool.js';
import { roomSize, windowAt } from '../../core/rule.js';
import type { FormedRoom, ModeRule, Ticket } from '../../core/types.js';
import { ruleArb, ticketsArb } from './arbitraries.js';

const ffa3: ModeRule = { teams: 1, teamSize: 3, window: { initial: 0, perSecond: 50, max: Infinity }, maxWaitSeconds: 300 };
const t = (ticketId: string, rating: number, joinedAt = 0): Ticket => ({ ticketId, playerId: `p-${ticketId}`, rating, joinedAt });
const ids = (room: FormedRoom) => room.tickets.map((x) => x.ticketId).sort();
/** Everyone a priority ticket from the start, no holds: oldest first, closest room. */
const oldestFirst: FormingPolicy = { priorityAfter: 0, holdHorizonMs: 0, holdAfter: 0, overlapGainMs: Infinity, skipSlackMs: -1 };
/** No priority, always the lowest of overlapping runs, no skip pass: the baseline's sweep. */
const bulkOnly: FormingPolicy = { priorityAfter: Infinity, holdHorizonMs: 0, holdAfter: Infinity, overlapGainMs: Infinity, skipSlackMs: -1 };

function isValid(room: FormedRoom, rule: ModeRule, now: number): boolean {
  const ratings = room.tickets.map((x) => x.rating);
  const spread = Math.max(...ratings) - Math.min(...ratings);
  return room.tickets.length === roomSize(rule) && spread === room.spread && room.tickets.every((x) => spread <= windowAt(rule, now - x.joinedAt));
}

/** Smallest spread of any valid room among `tickets` that contains `anchor`, by enumeration. */
function bestSpreadWith(anchor: Ticket, tickets: Ticket[], rule: ModeRule, now: number): number {
  const others = tickets.filter((x) => x !== anchor);
  const k = roomSize(rule);
  let best = Infinity;
  const pick = (from: number, chosen: Ticket[]): void => {
    if (chosen.length === k) {
      const r = chosen.map((x) => x.rating);
      const spread = Math.max(...r) - Math.min(...r);
      if (chosen.every((x) => spread <= windowAt(rule, now - x.joinedAt))) best = Math.min(best, spread);
      return;
    }
    for (let i = from; i < others.length; i++) pick(i + 1, [...chosen, others[i]!]);
  };
  pick(0, [anchor]);
  return best;
}

describe('formRooms', () => {
  const now = 30_000;

  it('forms only rooms that keep the rule at the tick, with no ticket twice', () => {
    fc.assert(
      fc.property(ruleArb, ticketsArb(), (rule, tickets) => {
        const { rooms, expired, kept } = formRooms(tickets, rule, now);
        for (const room of rooms) expect(isValid(room, rule, now), JSON.stringify(room)).to.equal(true);
        const all = [...rooms.flatMap((r) => r.tickets), ...expired, ...kept].map((x) => x.ticketId);
        expect(new Set(all).size).to.equal(all.length);
        expect(all.length).to.equal(tickets.length);
      }),
    );
  });

  it('is deterministic and ignores the order tickets come in', () => {
    fc.assert(
      fc.property(ruleArb, ticketsArb(), fc.integer(), (rule, tickets, seed) => {
        const shuffled = [...tickets].sort((a, b) => ((a.rating * 7919 + seed) % 13) - ((b.rating * 7919 + seed) % 13));
        const a = formRooms(tickets, rule, now);
        const b = formRooms(shuffled, rule, now);
        expect(b.rooms.map(ids)).to.deep.equal(a.rooms.map(ids));
        expect(b.expired.map((x) => x.ticketId)).to.deep.equal(a.expired.map((x) => x.ticketId));
        expect(formRooms(tickets, rule, now)).to.deep.equal(a);
      }),
    );
  });

  it("forms exactly the baseline's rooms with priority, the overlap choice and the skip pass off", () => {
    const distinctRatings = ticketsArb().map((ts) => ts.filter((x, i) => ts.findIndex((y) => y.rating === x.rating) === i));
    fc.assert(
      fc.property(ruleArb, distinctRatings, (rule, tickets) => {
        const baseline = createBaselinePool(rule);
        for (const x of tickets) baseline.add(x);
        const expected = [...baseline.tick(now).rooms].map(ids).sort();
        expect(formRooms(tickets, rule, now, bulkOnly).rooms.map(ids).sort()).to.deep.equal(expected);
      }),
    );
  });

  it('leaves no allowed room behind when every ticket is served oldest first', () => {
    fc.assert(
      fc.property(ruleArb, ticketsArb(12), (rule, tickets) => {
        const { kept, expired } = formRooms(tickets, rule, now, oldestFirst);
        const left = [...kept, ...expired];
        for (const x of left) expect(bestSpreadWith(x, left, rule, now)).to.equal(Infinity);
      }),
    );
  });

  it('gives the longest-waiting ticket the closest room it can have', () => {
    fc.assert(
      fc.property(ruleArb, ticketsArb(12), (rule, tickets) => {
        fc.pre(tickets.length > 0);
        const oldest = [...tickets].sort((a, b) => a.joinedAt - b.joinedAt)[0]!;
        fc.pre(tickets.filter((x) => x.joinedAt === oldest.joinedAt).length === 1);
        const best = bestSpreadWith(oldest, tickets, rule, now);
        const room = formRooms(tickets, rule, now, oldestFirst).rooms.find((r) => r.tickets.includes(oldest));
        expect(room?.spread ?? Infinity).to.equal(best);
      }),
    );
  });

  /** a has waited `waited` ms at `now`; b and c, 250 and 300 below it, 4 s (window 200); d 2 s. */
  const holdScene = (now: number, waited: number) => [t('a', 2500, now - waited), t('b', 2250, now - 4000), t('c', 2200, now - 4000), t('d', 2190, now - 2000)];

  it('holds back the players a long-waiting ticket needs until its room fits', () => {
    // a has waited 90 s: a priority ticket (after 20% of 300 s) that holds (after 30%).
    const tickets = holdScene(90_000, 90_000);
    expect(formRooms(tickets, ffa3, 90_000, bulkOnly).rooms.map(ids)).to.deep.equal([['b', 'c', 'd']]);
    expect(formRooms(tickets, ffa3, 90_000).rooms).to.deep.equal([]);
    // Windows of b and c reach the spread of 300 after 6 s of waiting.
    expect(formRooms(tickets, ffa3, 92_000).rooms.map(ids)).to.deep.equal([['a', 'b', 'c']]);
  });

  it('holds nobody for a priority ticket that has not waited holdAfter', () => {
    // a has waited 60 s: served first, but with no room yet it holds no one, and bcd forms.
    const tickets = holdScene(60_000, 60_000);
    expect(formRooms(tickets, ffa3, 60_000).rooms.map(ids)).to.deep.equal([['b', 'c', 'd']]);
    expect(formRooms(tickets, ffa3, 60_000, { ...bulkOnly, priorityAfter: 0.2, holdAfter: 0.2, holdHorizonMs: 5000 }).rooms).to.deep.equal([]);
  });

  it('of two overlapping allowed runs, leaves out the player whose next room is nearer', () => {
    // a waited 10 s (window 500), d 0.4 s (window 20); y and z just came, 100 and 110 below a.
    const now = 10_000;
    const [a, b, c, d] = [t('a', 1000, 0), t('b', 1010, 0), t('c', 1020, 0), t('d', 1030, now - 400)];
    const [y, z] = [t('y', 900, now), t('z', 910, now)];
    const tickets = [a, b, c, d, y, z];
    // Both abc and bcd are allowed. The baseline takes the lowest, leaving d 130 from y and z
    // (2.2 s more wait for its window); leaving a instead costs a nothing (window 500 ≥ 100).
    expect(formRooms(tickets, ffa3, now, bulkOnly).rooms.map(ids)).to.deep.equal([['a', 'b', 'c']]);
    expect(formRooms(tickets, ffa3, now).rooms.map(ids)).to.deep.equal([['b', 'c', 'd']]);
    // So everyone is matched by 12 s (y and z's windows reach 100), not 13 s (130).
    const matchedBy = (policy?: FormingPolicy) => {
      const pool = createPool(ffa3, policy);
      for (const x of tickets) pool.add(x);
      let second = now;
      for (let matched = 0; matched < tickets.length; second += 1000) matched += pool.tick(second).rooms.length * 3;
      return second - 1000;
    };
    expect(matchedBy()).to.equal(12_000);
    expect(matchedBy(bulkOnly)).to.equal(13_000);
  });

  it('passes over a fresh player only if it keeps a room near it', () => {
    const now = 10_000;
    const [a, b, c] = [t('a', 1000, 0), t('b', 1020, 0), t('c', 1040, 0)];
    const fresh = t('fresh', 1010, now);
    // Alone, the fresh player would be stranded: no room forms, and next tick abc's run waits for
    // its window (20 after 0.4 s) instead.
    expect(formRooms([a, fresh, b, c], ffa3, now).rooms).to.deep.equal([]);
    expect(formRooms([a, fresh, b, c], ffa3, now + 1000).rooms.map(ids)).to.deep.equal([['a', 'b', 'fresh']]);
    // With two more fresh players by it, it has a room within 0.1 s: abc forms now.
    const crowd = [a, fresh, t('g', 1011, now), t('h', 1013, now), b, c];
    expect(formRooms(crowd, ffa3, now, bulkOnly).rooms).to.deep.equal([]);
    const { rooms, kept } = formRooms(crowd, ffa3, now);
    expect(rooms.map(ids)).to.deep.equal([['a', 'b', 'c']]);
    expect(kept.map((x) => x.ticketId).sort()).to.deep.equal(['fresh', 'g', 'h']);
  });

  it('ends a ticket at maxWaitSeconds, not before, and can still match it then', () => {
    fc.assert(
      fc.property(ruleArb, ticketsArb(), (rule, tickets) => {
        const { expired, kept, rooms } = formRooms(tickets, rule, now);
        const limit = rule.maxWaitSeconds * 1000;
        for (const x of expired) expect(now - x.joinedAt).to.be.at.least(limit);
        for (const x of kept) expect(now - x.joinedAt).to.be.below(limit);
        expect(rooms.length * roomSize(rule) + expired.length + kept.length).to.equal(tickets.length);
      }),
    );
    const rule = { ...ffa3, maxWaitSeconds: 10 };
    const old = [t('a', 1000), t('b', 1400), t('c', 1450)];
    expect(formRooms(old, rule, 10_000).rooms.map(ids)).to.deep.equal([['a', 'b', 'c']]);
    expect(formRooms(old.slice(0, 2), rule, 10_000).expired.map((x) => x.ticketId)).to.deep.equal(['a', 'b']);
  });

  it('skips a fresh player sitting between players who have waited long', () => {
    const tickets = [t('a', 1000), t('fresh', 1010, 60_000), t('b', 1020), t('c', 1040)];
    expect(formRooms(tickets, ffa3, 60_000, bulkOnly).rooms).to.deep.equal([]);
    const { rooms, kept } = formRooms(tickets, ffa3, 60_000);
    expect(rooms.map(ids)).to.deep.equal([['a', 'b', 'c']]);
    expect(kept.map((x) => x.ticketId)).to.deep.equal(['fresh']);
  });

  it('splits team rooms evenly and lists tickets by team, then rating', () => {
    const rule: ModeRule = { teams: 2, teamSize: 2, window: { initial: 1000, perSecond: 0, max: Infinity }, maxWaitSeconds: 60 };
    const [room] = formRooms([t('a', 1000), t('b', 1100), t('c', 1200), t('d', 1300)], rule, 0).rooms;
    expect(room!.imbalance).to.equal(0);
    expect(room!.teams).to.deep.equal([0, 0, 1, 1]);
    expect(room!.tickets.map((x) => x.ticketId)).to.deep.equal(['d', 'a', 'c', 'b']);
  });
});

describe('createPool', () => {
  it('adds idempotently, removes, and accepts an old joinedAt back', () => {
    const pool = createPool(ffa3);
    expect(pool.add(t('a', 1500, 0))).to.equal(true);
    expect(pool.add(t('a', 1500, 0))).to.equal(false);
    expect(pool.size).to.equal(1);
    expect(pool.get('a')?.rating).to.equal(1500);
    expect(pool.remove('a')?.ticketId).to.equal('a');
    expect(pool.has('a')).to.equal(false);
    expect(pool.remove('a')).to.equal(undefined);
    expect(pool.add(t('a', 1500, -5000))).to.equal(true);
    expect(() => pool.add(t('bad', NaN))).to.throw(RangeError);
  });

  it('matches what formRooms forms, and a leave before a tick keeps the ticket out', () => {
    fc.assert(
      fc.property(ruleArb, ticketsArb(), fc.array(fc.nat(), { maxLength: 5 }), (rule, tickets, leaves) => {
        const pool = createPool(rule);
        for (const x of tickets) pool.add(x);
        const left = new Set(leaves.filter((i) => i < tickets.length).map((i) => tickets[i]!.ticketId));
        for (const id of left) expect(pool.remove(id)?.ticketId).to.equal(id);
        const result = pool.tick(20_000);
        const expected = formRooms(
          tickets.filter((x) => !left.has(x.ticketId)),
          rule,
          20_000,
        );
        expect([...result.rooms]).to.deep.equal(expected.rooms);
        expect(result.expired).to.deep.equal(expected.expired);
        const ended = [...result.rooms.tickets, ...result.expired];
        for (const x of ended) {
          expect(left.has(x.ticketId)).to.equal(false);
          expect(pool.has(x.ticketId)).to.equal(false);
        }
        expect(pool.size).to.equal(expected.kept.length);
        for (const x of expected.kept) expect(pool.get(x.ticketId)).to.equal(x);
      }),
    );
  });

  it("keeps a tick's rooms intact through later ticks, which reuse the former's buffers", () => {
    fc.assert(
      fc.property(ruleArb, ticketsArb(), ticketsArb(), (rule, first, second) => {
        const pool = createPool(rule);
        for (const x of first) pool.add(x);
        const { rooms } = pool.tick(20_000);
        const before = JSON.stringify([...rooms]);
        for (let r = 0; r < rooms.length; r++) {
          expect(rooms.ticketsOf(r)).to.deep.equal(rooms.room(r).tickets);
          expect(rooms.spreadOf(r)).to.equal(rooms.room(r).spread);
        }
        expect(rooms.tickets).to.deep.equal([...rooms].flatMap((room) => room.tickets));
        for (const x of second) pool.add({ ...x, ticketId: `again-${x.ticketId}` });
        pool.tick(40_000);
        expect(JSON.stringify([...rooms])).to.equal(before);
      }),
    );
  });

  it('keeps its index right across many ticks of adds, removes and re-adds', () => {
    const pool = createPool({ ...ffa3, maxWaitSeconds: 3 });
    const live = new Set<string>();
    for (let second = 1; second <= 40; second++) {
      for (let i = 0; i < 7; i++) {
        const id = `t${(second * 7 + i) % 60}`;
        if (pool.add(t(id, 1000 + ((second * 37 + i * 101) % 500), second * 1000 - 500))) live.add(id);
      }
      if (pool.remove(`t${second % 60}`)) live.delete(`t${second % 60}`);
      const { rooms, expired } = pool.tick(second * 1000);
      for (const x of [...rooms.tickets, ...expired]) expect(live.delete(x.ticketId)).to.equal(true);
      expect(pool.size).to.equal(live.size);
      for (const id of live) expect(pool.has(id)).to.equal(true);
    }
  });
});
