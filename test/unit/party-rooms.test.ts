import { expect } from 'chai';
import fc from 'fast-check';
import { formRooms, RoomFormer, type FormingPolicy } from '../../core/form-rooms.js';
import { ticketSize } from '../../core/party.js';
import { PartyRoomFormer } from '../../core/party-rooms.js';
import { createPool } from '../../core/pool.js';
import { roomSize, windowAt } from '../../core/rule.js';
import { ticketIdHash } from '../../core/ticket-order.js';
import type { FormedRoom, ModeRule, Ticket } from '../../core/types.js';
import { partyRuleArb, partyTicketsArb, ticketsArb, ruleArb } from './arbitraries.js';

const now = 30_000;
/** Everyone a priority ticket from the start: oldest first, each in its closest room. */
const oldestFirst: FormingPolicy = { priorityAfter: 0, holdHorizonMs: 0, holdAfter: 0, overlapGainMs: Infinity, skipSlackMs: -1 };
const scene = partyRuleArb.chain((rule) => fc.tuple(fc.constant(rule), partyTicketsArb(rule)));

const spreadOf = (tickets: readonly Ticket[]) => Math.max(...tickets.map((x) => x.rating)) - Math.min(...tickets.map((x) => x.rating));
const allowed = (tickets: readonly Ticket[], rule: ModeRule) => tickets.every((x) => spreadOf(tickets) <= windowAt(rule, now - x.joinedAt));

/** Every way to seat `tickets` in the mode's teams, parties whole: the best imbalance (Infinity if none). */
function bestSplit(tickets: readonly Ticket[], rule: ModeRule): number {
  let best = Infinity;
  const sums = new Array<number>(rule.teams).fill(0);
  const seats = new Array<number>(rule.teams).fill(rule.teamSize);
  const go = (i: number): void => {
    if (i === tickets.length) {
      if (seats.every((s) => s === 0)) best = Math.min(best, Math.max(...sums) - Math.min(...sums));
      return;
    }
    const size = ticketSize(tickets[i]!);
    for (let t = 0; t < rule.teams; t++) {
      if (seats[t]! < size) continue;
      seats[t]! -= size;
      sums[t]! += size * tickets[i]!.rating;
      go(i + 1);
      seats[t]! += size;
      sums[t]! -= size * tickets[i]!.rating;
    }
  };
  go(0);
  return best;
}

/** Every allowed, seatable room among `tickets` (brute force over subsets). */
function allRooms(tickets: readonly Ticket[], rule: ModeRule): Ticket[][] {
  const k = roomSize(rule);
  const rooms: Ticket[][] = [];
  const pick = (from: number, chosen: Ticket[], players: number): void => {
    if (players === k) {
      if (allowed(chosen, rule) && bestSplit(chosen, rule) < Infinity) rooms.push(chosen);
      return;
    }
    for (let i = from; i < tickets.length; i++) {
      const size = ticketSize(tickets[i]!);
      if (players + size <= k) pick(i + 1, [...chosen, tickets[i]!], players + size);
    }
  };
  pick(0, [], 0);
  return rooms;
}

function checkRoom(room: FormedRoom, rule: ModeRule): void {
  expect(room.tickets.length).to.equal(room.teams.length);
  expect(room.spread).to.equal(spreadOf(room.tickets));
  expect(allowed(room.tickets, rule), 'rule kept').to.equal(true);
  // Parties whole: a ticket sits on one team, so each team's seats are its tickets' sizes.
  const seated = new Array<number>(rule.teams).fill(0);
  const sums = new Array<number>(rule.teams).fill(0);
  room.tickets.forEach((x, i) => {
    seated[room.teams[i]!]! += ticketSize(x);
    sums[room.teams[i]!]! += ticketSize(x) * x.rating;
  });
  expect(seated).to.deep.equal(new Array<number>(rule.teams).fill(rule.teamSize));
  expect(room.imbalance).to.be.closeTo(Math.max(...sums) - Math.min(...sums), 1e-6);
  // Listed by team, then rating descending.
  for (let i = 1; i < room.tickets.length; i++) {
    const ordered = room.teams[i - 1]! < room.teams[i]! || (room.teams[i - 1] === room.teams[i] && room.tickets[i - 1]!.rating >= room.tickets[i]!.rating);
    expect(ordered, 'ordered by team, then rating').to.equal(true);
  }
}

describe('party rooms', () => {
  it('keeps the rule, seats every party whole on one team, and ends every ticket once', () => {
    fc.assert(
      fc.property(scene, ([rule, tickets]) => {
        const { rooms, expired, kept } = formRooms(tickets, rule, now);
        for (const room of rooms) checkRoom(room, rule);
        const all = [...rooms.flatMap((r) => r.tickets), ...expired, ...kept].map((x) => x.ticketId);
        expect(new Set(all).size).to.equal(all.length);
        expect(all.length).to.equal(tickets.length);
        const players = rooms.flatMap((r) => r.tickets.flatMap((x) => x.members?.map((m) => m.playerId) ?? [x.playerId]));
        expect(new Set(players).size, 'nobody twice').to.equal(players.length);
      }),
      { numRuns: 300 },
    );
  });

  it('splits every room as evenly as any seating with parties whole (brute force)', () => {
    fc.assert(
      fc.property(scene, ([rule, tickets]) => {
        for (const room of formRooms(tickets, rule, now).rooms) expect(room.imbalance).to.be.closeTo(bestSplit(room.tickets, rule), 1e-6);
      }),
      { numRuns: 300 },
    );
  });

  // The party path has no holds (the solo path may hold players back for a long-waiting one).
  it('forms a room whenever the pool holds an allowed one, on the party path', () => {
    fc.assert(
      fc.property(scene, ([rule, tickets]) => {
        fc.pre(tickets.some((x) => ticketSize(x) > 1));
        const possible = allRooms(tickets, rule).length > 0;
        expect(formRooms(tickets, rule, now).rooms.length > 0).to.equal(possible);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the longest-waiting ticket the closest room it can have', () => {
    fc.assert(
      fc.property(scene, ([rule, tickets]) => {
        fc.pre(tickets.some((x) => ticketSize(x) > 1));
        // Among tickets that joined at the same instant the core breaks the tie by id hash: the
        // property speaks of a ticket that is the longest-waiting on its own.
        const firstJoin = Math.min(...tickets.map((x) => x.joinedAt));
        fc.pre(tickets.filter((x) => x.joinedAt === firstJoin).length === 1);
        const oldest = tickets.find((x) => x.joinedAt === firstJoin)!;
        const best = Math.min(
          ...allRooms(tickets, rule)
            .filter((room) => room.includes(oldest))
            .map(spreadOf),
        );
        const room = formRooms(tickets, rule, now, oldestFirst).rooms.find((r) => r.tickets.includes(oldest));
        expect(room?.spread ?? Infinity).to.equal(best);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves no allowed room behind when every ticket is served oldest first', () => {
    fc.assert(
      fc.property(scene, ([rule, tickets]) => {
        const { kept, expired } = formRooms(tickets, rule, now, oldestFirst);
        expect(allRooms([...kept, ...expired], rule)).to.deep.equal([]);
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic and ignores the order tickets come in', () => {
    fc.assert(
      fc.property(scene, fc.integer(), ([rule, tickets], seed) => {
        const shuffled = [...tickets].sort((a, b) => ((ticketIdHash(a.ticketId) ^ seed) >>> 0) - ((ticketIdHash(b.ticketId) ^ seed) >>> 0));
        const ids = (room: FormedRoom) => room.tickets.map((x) => x.ticketId);
        expect(formRooms(shuffled, rule, now).rooms.map(ids)).to.deep.equal(formRooms(tickets, rule, now).rooms.map(ids));
      }),
    );
  });

  it('forms the same rooms with a former reused from tick to tick as with a fresh one', () => {
    fc.assert(
      fc.property(partyRuleArb, fc.array(fc.nat(), { minLength: 2, maxLength: 4 }), (rule, seeds) => {
        const pools = seeds.map((seed) => fc.sample(partyTicketsArb(rule, 30), { seed, numRuns: 1 })[0]!);
        const reused = new PartyRoomFormer(rule);
        for (const tickets of pools) {
          const args = [
            tickets,
            Float64Array.from(tickets, (x) => x.rating),
            Float64Array.from(tickets, (x) => x.joinedAt),
            Uint32Array.from(tickets, (x) => ticketIdHash(x.ticketId)),
            Uint8Array.from(tickets, ticketSize),
            tickets.length,
            now,
          ] as const;
          const again = reused.run(...args);
          const fresh = new PartyRoomFormer(rule).run(...args);
          expect([...again.rooms]).to.deep.equal([...fresh.rooms]);
          expect(Array.from(again.fate.subarray(0, tickets.length))).to.deep.equal(Array.from(fresh.fate.subarray(0, tickets.length)));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('seats a five-stack against five solos in 5v5, and seats two pairs where the sums come out even', () => {
    const rule: ModeRule = { teams: 2, teamSize: 5, window: { initial: 1000, perSecond: 0, max: Infinity }, maxWaitSeconds: 60 };
    const party = (id: string, ratings: number[]): Ticket => ({
      ticketId: id,
      playerId: `${id}-0`,
      rating: Math.round(ratings.reduce((a, b) => a + b, 0) / ratings.length),
      joinedAt: 0,
      members: ratings.map((rating, m) => ({ playerId: `${id}-${m}`, rating })),
      partyId: id,
    });
    const solo = (id: string, rating: number): Ticket => ({ ticketId: id, playerId: id, rating, joinedAt: 0 });
    const stack = party('stack', [1500, 1500, 1500, 1500, 1500]);
    const [room] = formRooms([stack, ...[1400, 1450, 1500, 1550, 1600].map((r, i) => solo(`s${i}`, r))], rule, 0).rooms;
    expect(room!.tickets.map((x) => x.ticketId)).to.deep.equal(['stack', 's4', 's3', 's2', 's1', 's0']);
    expect(room!.teams).to.deep.equal([0, 1, 1, 1, 1, 1]);
    expect(room!.imbalance).to.equal(0);
    // Pairs at 1600 and 1400 with six solos at 1500: together (7500 against 7500), not apart (7700 against 7300).
    const pairs = [party('hi', [1600, 1600]), party('lo', [1400, 1400])];
    const solos = [1500, 1500, 1500, 1500, 1500, 1500].map((r, i) => solo(`t${i}`, r));
    const [mixed] = formRooms([...pairs, ...solos], rule, 0).rooms;
    const teamOf = (id: string) => mixed!.teams[mixed!.tickets.findIndex((x) => x.ticketId === id)];
    expect(teamOf('hi')).to.equal(teamOf('lo'));
    expect(mixed!.imbalance).to.equal(0);
  });
});

describe('pools with no party ticket', () => {
  it('form exactly the rooms of the solo RoomFormer', () => {
    fc.assert(
      fc.property(ruleArb, ticketsArb(), (rule, tickets) => {
        const hashes = Uint32Array.from(tickets, (x) => ticketIdHash(x.ticketId));
        const solo = new RoomFormer(rule).run(
          tickets,
          Float64Array.from(tickets, (x) => x.rating),
          Float64Array.from(tickets, (x) => x.joinedAt),
          hashes,
          tickets.length,
          now,
        );
        const pool = createPool({ ...rule, party: { maxSize: rule.teamSize, aggregate: 'max' } });
        for (const x of tickets) pool.add(x);
        expect([...pool.tick(now).rooms]).to.deep.equal([...solo.rooms]);
      }),
    );
  });

  it('go back to the solo path once their last party ticket is gone', () => {
    fc.assert(
      fc.property(scene, ticketsArb(), ([rule, parties], solos) => {
        const party = parties.find((x) => ticketSize(x) > 1);
        fc.pre(party !== undefined);
        const fresh = createPool(rule);
        const used = createPool(rule);
        used.add(party!);
        used.remove(party!.ticketId);
        for (const x of solos) {
          fresh.add(x);
          used.add(x);
        }
        expect([...used.tick(now).rooms]).to.deep.equal([...fresh.tick(now).rooms]);
      }),
    );
  });

  it('refuse a party larger than the mode takes', () => {
    const pool = createPool({
      teams: 2,
      teamSize: 3,
      window: { initial: 0, perSecond: 50, max: Infinity },
      maxWaitSeconds: 60,
      party: { maxSize: 2, aggregate: 'avg' },
    });
    const members = [1, 2, 3].map((m) => ({ playerId: `p${m}`, rating: 1500 }));
    expect(() => pool.add({ ticketId: 't', playerId: 'p1', rating: 1500, joinedAt: 0, members })).to.throw(RangeError, /parties of 1 to 2/);
    expect(pool.add({ ticketId: 't', playerId: 'p1', rating: 1500, joinedAt: 0, members: members.slice(0, 2) })).to.equal(true);
  });
});

describe('createPool: players waiting (the dashboard figure)', () => {
  it('counts every member of every waiting ticket through adds, removes and ticks', () => {
    fc.assert(
      fc.property(
        partyRuleArb.chain((rule) => fc.tuple(fc.constant(rule), partyTicketsArb(rule), fc.array(fc.nat(), { maxLength: 4 }))),
        ([rule, tickets, leaves]) => {
          const pool = createPool(rule);
          const size = (ticket: Ticket) => ticket.members?.length ?? 1;
          const waiting = new Map<string, Ticket>();
          for (const ticket of tickets) if (pool.add(ticket)) waiting.set(ticket.ticketId, ticket);
          for (const index of leaves) {
            const ticket = tickets[index % Math.max(1, tickets.length)];
            if (ticket && pool.remove(ticket.ticketId)) waiting.delete(ticket.ticketId);
          }
          const sum = () => [...waiting.values()].reduce((total, ticket) => total + size(ticket), 0);
          expect(pool.players).to.equal(sum());
          const { rooms, expired } = pool.tick(20_000);
          for (const ticket of [...rooms.tickets, ...expired]) waiting.delete(ticket.ticketId);
          expect(pool.players).to.equal(sum());
        },
      ),
    );
  });
});
