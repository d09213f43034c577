import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { redisKeys } from '../../common/names.js';
import { createTicketStore } from '../../common/ticket-store.js';
import type { MatchConfig } from '../../core/types.js';
import { eventually, PlainBroker } from '../support/broker.js';
import { REDIS_URL } from '../support/namespace.js';
import type { PlayerClient, ServerFrame } from '../support/player-client.js';
import { startStack, type Stack } from '../support/stack.js';

const window = { initial: 1000, perSecond: 0, max: 1000 };
/**
 * duo: 2v2 with pairs; trio: rooms of three, solos only; squad: rooms of four, parties up to 3
 * (nobody else joins it here, so a party waits there); slow: no party option (parties up to
 * teamSize), windows that never open, and a timeout after a second.
 */
const MATCH: MatchConfig = {
  regions: ['eu'],
  modes: {
    duo: { teams: 2, teamSize: 2, window, maxWaitSeconds: 60, party: { maxSize: 2, aggregate: 'avg' } },
    trio: { teams: 1, teamSize: 3, window, maxWaitSeconds: 60, party: { maxSize: 1, aggregate: 'avg' } },
    squad: { teams: 1, teamSize: 4, window, maxWaitSeconds: 120, party: { maxSize: 3, aggregate: 'max' } },
    slow: { teams: 1, teamSize: 3, window: { initial: 0, perSecond: 0, max: 0 }, maxWaitSeconds: 1 },
  },
};

type Party = { id: string; code: string; leader: string; members: { id: string; name: string; rating: number }[] } | null;
const partyOf = (frame: ServerFrame) => (frame as { party?: Party }).party ?? null;

/**
 * Parties (contract v1.1) through two real gateways, the matcher and the notifier: every
 * member is reached on whichever gateway holds them (matchq.deliveries), and the party state
 * is read back from Redis with a plain client.
 */
describe('parties across two gateways', () => {
  let stack: Stack;
  let redis: Redis;
  let seq = 0;
  const player = async (rating = 1500) => stack.addPlayer(`party${++seq}`, rating);
  /** A signed-in player on gateway `gateway`, with the player's id. */
  const signIn = async (rating = 1500, gateway = 0) => {
    const p = await player(rating);
    const client = await stack.connect(p.token, gateway);
    return { ...p, client };
  };
  /** A party: the leader on gateway 0 and the others on gateway 1, everyone having seen the full party. */
  async function party(ratings: number[]) {
    const leader = await signIn(ratings[0]!, 0);
    leader.client.send({ type: 'party.create', id: 'c' });
    const created = await leader.client.next('party');
    const code = partyOf(created)!.code;
    const others = [];
    for (const rating of ratings.slice(1)) {
      const other = await signIn(rating, 1);
      other.client.send({ type: 'party.join', code });
      others.push(other);
    }
    const everyone = [leader, ...others];
    for (const member of everyone) {
      while (partyOf(await member.client.next('party'))?.members.length !== ratings.length);
    }
    return { code, leader, others, everyone };
  }

  before(async () => {
    redis = new Redis(REDIS_URL);
    stack = await startStack({ match: MATCH, gateways: 2, tickMs: 100, env: { PARTY_MAX_SIZE: '3' } });
  });
  after(async () => {
    await stack?.stop();
    redis.disconnect();
  });

  it('creates a party with a 6-character code and lets a friend on another gateway join it by code; both see it', async () => {
    const ada = await signIn(1500, 0);
    ada.client.send({ type: 'party.create', id: 'make' });
    const created = await ada.client.next('party');
    expect(created.id).to.equal('make');
    const mine = partyOf(created)!;
    expect(mine.code).to.match(/^[ABCDEFGHJKLMNPQRSTUVWXYZ23456789]{6}$/);
    expect(mine).to.deep.include({ leader: ada.id, members: [{ id: ada.id, name: ada.name, rating: 1500 }] });
    const bob = await signIn(1620, 1);
    bob.client.send({ type: 'party.join', code: mine.code, id: 'in' });
    const joined = await bob.client.next('party');
    expect(joined.id).to.equal('in');
    const both = [
      { id: ada.id, name: ada.name, rating: 1500 },
      { id: bob.id, name: bob.name, rating: 1620 },
    ];
    expect(partyOf(joined)).to.deep.equal({ id: mine.id, code: mine.code, leader: ada.id, members: both });
    expect(partyOf(await ada.client.next('party'))).to.deep.equal(partyOf(joined));
    // The state is in Redis, tagged by the code.
    const stored = await redis.hgetall(redisKeys(stack.namespace).party(mine.code));
    expect(JSON.parse(stored.members!).map((m: { id: string }) => m.id)).to.deep.equal([ada.id, bob.id]);
    expect(await redis.get(redisKeys(stack.namespace).playerParty(bob.id))).to.equal(mine.code);
  });

  it("sends a member's party frame again when the broker returns it because the member's gateway left no queue (it died), so the member hears it on the gateway they moved to", async () => {
    const { code, others } = await party([1500, 1500]);
    const member = others[0]!;
    const pointer = redisKeys(stack.namespace).playerGateway(member.id);
    const live = (await redis.get(pointer))!;
    // Who-is-where still names a gateway that is gone when the leader's gateway looks it up.
    await redis.set(pointer, `gone-${randomUUID()}${live.slice(live.indexOf(' '))}`);
    const newcomer = await signIn(1500, 0);
    newcomer.client.send({ type: 'party.join', code });
    while (partyOf(await newcomer.client.next('party'))?.members.length !== 3);
    // The member's move lands: their pointer names the gateway they are on.
    await redis.set(pointer, live);
    while (partyOf(await member.client.next('party', 10_000))?.members.length !== 3);
  });

  it('answers every party error with its code', async () => {
    const { code, leader, others } = await party([1500, 1500, 1500]);
    const [second] = others;
    const stranger = await signIn();
    stranger.client.send({ type: 'party.join', code: 'ZZZZZZ', id: 1 });
    expect(await stranger.client.next('error')).to.include({ code: 'party_not_found', id: 1 });
    stranger.client.send({ type: 'party.join', code, id: 2 });
    expect(await stranger.client.next('error')).to.include({ code: 'party_full', id: 2 });
    stranger.client.send({ type: 'party.leave', id: 3 });
    expect(await stranger.client.next('error')).to.include({ code: 'not_in_party', id: 3 });
    second!.client.send({ type: 'party.create', id: 4 });
    expect(await second!.client.next('error')).to.include({ code: 'already_in_party', id: 4 });
    second!.client.send({ type: 'party.kick', playerId: leader.id, id: 5 });
    expect(await second!.client.next('error')).to.include({ code: 'not_leader', id: 5 });
    second!.client.send({ type: 'join', mode: 'duo', region: 'eu', id: 6 });
    expect(await second!.client.next('error')).to.include({ code: 'not_leader', id: 6 });
    leader.client.send({ type: 'join', mode: 'duo', region: 'eu', id: 7 });
    expect(await leader.client.next('error')).to.include({ code: 'party_too_large', id: 7 });
    leader.client.send({ type: 'join', mode: 'trio', region: 'eu', id: 8 });
    expect(await leader.client.next('error')).to.include({ code: 'party_too_large', id: 8 });
    // A player with a ticket of their own cannot create or join a party.
    stranger.client.send({ type: 'join', mode: 'trio', region: 'eu' });
    await stranger.client.next('queued');
    stranger.client.send({ type: 'party.create', id: 9 });
    expect(await stranger.client.next('error')).to.include({ code: 'already_queued', id: 9 });
  });

  it("queues the whole party on the leader's join: queued to every member, one ticket, the party's rating; matched together on one team", async () => {
    const { leader, others, everyone } = await party([1400, 1601]);
    leader.client.send({ type: 'join', mode: 'duo', region: 'eu', id: 'go' });
    const queued = await Promise.all(everyone.map((member) => member.client.next('queued')));
    expect(queued[0]).to.include({ mode: 'duo', region: 'eu', rating: 1501, id: 'go' });
    expect(queued[1]).to.include({ ticketId: queued[0]!.ticketId, rating: 1501 });
    expect(queued[1]).to.not.have.property('id');
    // Two solos fill the 2v2.
    const solos = await Promise.all([signIn(1500, 0), signIn(1500, 1)]);
    for (const solo of solos) solo.client.send({ type: 'join', mode: 'duo', region: 'eu' });
    const matched = await Promise.all(everyone.map((member) => member.client.next('matched')));
    await Promise.all(solos.map((solo) => solo.client.next('matched')));
    const room = matched[0]!.room as {
      id: string;
      players: { playerId: string; ticketId: string; team: number; partyId: string | null; matchRating: number; rating: number }[];
    };
    expect((matched[1]!.room as { id: string }).id).to.equal(room.id);
    for (const frame of matched) expect(frame.ticketId).to.equal(queued[0]!.ticketId);
    const seats = room.players.filter((seat) => seat.ticketId === queued[0]!.ticketId);
    expect(seats.map((seat) => seat.playerId)).to.deep.equal([leader.id, others[0]!.id]);
    expect(new Set(seats.map((seat) => seat.team)).size).to.equal(1);
    for (const seat of seats) expect(seat).to.include({ matchRating: 1501 });
    expect(seats.map((seat) => seat.rating)).to.deep.equal([1400, 1601]);
    expect(new Set(seats.map((seat) => seat.partyId)).size).to.equal(1);
    expect(seats[0]!.partyId).to.be.a('string');
  });

  it("cancels the party's ticket for everyone on any member's leave", async () => {
    const { leader, others, everyone } = await party([1500, 1500]);
    leader.client.send({ type: 'join', mode: 'squad', region: 'eu' });
    const { ticketId } = await leader.client.next('queued');
    await others[0]!.client.next('queued');
    others[0]!.client.send({ type: 'leave', id: 'bye' });
    const left = await Promise.all(everyone.map((member) => member.client.next('left')));
    expect(left[1]).to.deep.equal({ type: 'left', ticketId, reason: 'cancelled', id: 'bye' });
    expect(left[0]).to.deep.equal({ type: 'left', ticketId, reason: 'cancelled' });
  });

  it('ends the ticket with party_changed when a member leaves the party while queued, and passes the lead on', async () => {
    const { leader, others } = await party([1500, 1500, 1500]);
    leader.client.send({ type: 'join', mode: 'squad', region: 'eu' });
    const { ticketId } = await leader.client.next('queued');
    await Promise.all(others.map((member) => member.client.next('queued')));
    leader.client.send({ type: 'party.leave', id: 'out' });
    expect(await leader.client.next('left')).to.deep.equal({ type: 'left', ticketId, reason: 'party_changed' });
    expect(await leader.client.next('party')).to.deep.equal({ type: 'party', party: null, id: 'out' });
    for (const member of others) {
      expect(await member.client.next('left')).to.deep.equal({ type: 'left', ticketId, reason: 'party_changed' });
      const after = partyOf(await member.client.next('party'))!;
      expect(after.leader).to.equal(others[0]!.id);
      expect(after.members.map((m) => m.id)).to.deep.equal(others.map((m) => m.id));
    }
    // The new leader kicks the other: party null to the kicked, the party to the rest.
    others[0]!.client.send({ type: 'party.kick', playerId: others[1]!.id, id: 'k' });
    expect(await others[1]!.client.next('party')).to.deep.equal({ type: 'party', party: null });
    const rest = await others[0]!.client.next('party');
    expect(rest.id).to.equal('k');
    expect(partyOf(rest)!.members.map((m) => m.id)).to.deep.equal([others[0]!.id]);
  });

  it('tells a member who was away the room the party was matched into, though the leader queued again before the member came back', async () => {
    const { leader, others } = await party([1500, 1500]);
    const away = others[0]!;
    away.client.close();
    await away.client.closeCode();
    leader.client.send({ type: 'join', mode: 'duo', region: 'eu' });
    const first = await leader.client.next('queued');
    const solos = await Promise.all([signIn(1500, 0), signIn(1500, 1)]);
    for (const solo of solos) solo.client.send({ type: 'join', mode: 'duo', region: 'eu' });
    const room = (await leader.client.next('matched')).room as { id: string };
    await Promise.all(solos.map((solo) => solo.client.next('matched')));
    // The party queues again while the member is still away: the member's pointer moves on.
    leader.client.send({ type: 'join', mode: 'duo', region: 'eu' });
    const second = await leader.client.next('queued');
    const back = await stack.connect(away.token, 0);
    const told = await back.next('matched');
    expect(told).to.include({ ticketId: first.ticketId });
    expect((told.room as { id: string }).id).to.equal(room.id);
    expect(await back.next('queued')).to.include({ ticketId: second.ticketId });
    expect(back.frames.map((frame) => frame.type).slice(0, 4)).to.deep.equal(['hello', 'party', 'matched', 'queued']);
    leader.client.send({ type: 'leave' });
    await back.next('left');
  });

  it("leaves a party's join its leader's gateway never confirmed to the leader: a member's reconnect does not announce it, the leader's does and tells everyone", async () => {
    const { leader, others } = await party([1500, 1500]);
    const member = others[0]!;
    for (const player of [leader, member]) {
      player.client.close();
      await player.client.closeCode();
    }
    // What the leader's gateway leaves while its join waits for the broker's confirm (or after it died there).
    const store = createTicketStore(redis, redisKeys(stack.namespace));
    const partyId = partyOf(leader.client.frames.filter((frame) => frame.type === 'party').at(-1)!)!.id;
    const members = [leader, member].map((player) => ({ playerId: player.id, name: player.name, rating: 1500 }));
    const ticket = { ticketId: randomUUID(), mode: 'duo', region: 'eu', playerId: leader.id, rating: 1500, joinedAt: Date.now(), partyId, members };
    expect(await store.open(ticket, null, 120)).to.equal(true);
    await store.pointMembers(ticket, [member.id], 120);

    const memberBack = await stack.connect(member.token, 1);
    // Answered behind the reconnect's resume on the session's chain: the resume is done by then.
    memberBack.send({ type: 'party.create', id: 'probe' });
    expect(await memberBack.next('error')).to.include({ id: 'probe' });
    expect(
      memberBack.frames.filter((frame) => frame.type === 'queued'),
      'nothing told before the leader announces',
    ).to.deep.equal([]);
    expect((await store.get(ticket))?.confirmed, 'the member did not announce the join').to.equal(false);

    const leaderBack = await stack.connect(leader.token, 0);
    expect(await leaderBack.next('queued')).to.include({ ticketId: ticket.ticketId });
    expect(await memberBack.next('queued')).to.include({ ticketId: ticket.ticketId });
    expect((await store.get(ticket))?.confirmed).to.equal(true);
    leaderBack.send({ type: 'leave' });
    await Promise.all([leaderBack.next('left'), memberBack.next('left')]);
  });

  it("tells a member the end of the party's previous ticket before the next ticket's queued, when the end's own news was lost", async () => {
    const { leader, others } = await party([1500, 1500]);
    const member = others[0]!;
    leader.client.send({ type: 'join', mode: 'squad', region: 'eu' });
    const first = await leader.client.next('queued');
    await member.client.next('queued');
    const partyNow = partyOf(member.client.frames.filter((frame) => frame.type === 'party').at(-1)!);
    // The ticket ends in Redis (as a leader's decline or leave decides it), but the news of it never reaches the member.
    const keys = redisKeys(stack.namespace);
    await redis.hset(keys.ticket('squad', 'eu', first.ticketId), 'state', 'cancelled', 'reason', 'cancelled');
    // The leader's next ticket reaches the member.
    const broker = await PlainBroker.connect();
    const next = { ticketId: randomUUID(), mode: 'squad', region: 'eu', rating: 1500, joinedAt: Date.now(), partyId: partyNow!.id };
    broker.publishJson(`${stack.namespace}.deliveries`, `${stack.namespace}-gw1`, { kind: 'queued', playerIds: [member.id], ticket: next });
    const seen = member.client.frames.length;
    expect(await member.client.next('queued')).to.include({ ticketId: next.ticketId });
    await broker.close();
    const told = member.client.frames.slice(seen).filter((frame) => frame.type === 'left' || frame.type === 'queued');
    expect(told.map((frame) => [frame.type, (frame as { ticketId: string }).ticketId])).to.deep.equal([
      ['left', first.ticketId],
      ['queued', next.ticketId],
    ]);
  });

  it("drops a party's queued that reaches a member after the ticket's room (the fanout was overtaken): no ticket reopens", async () => {
    const { leader, others, everyone } = await party([1500, 1500]);
    const member = others[0]!;
    leader.client.send({ type: 'join', mode: 'duo', region: 'eu' });
    const queued = await leader.client.next('queued');
    await member.client.next('queued');
    const solos = await Promise.all([signIn(1500, 0), signIn(1500, 1)]);
    for (const solo of solos) solo.client.send({ type: 'join', mode: 'duo', region: 'eu' });
    await Promise.all([...everyone, ...solos].map((player) => player.client.next('matched')));
    const partyNow = partyOf(member.client.frames.filter((frame) => frame.type === 'party').at(-1)!);
    const seen = member.client.frames.length;
    // The same fanout the leader's gateway sends, arriving late; then a party frame, which the same queue keeps behind it.
    const broker = await PlainBroker.connect();
    const gateway = `${stack.namespace}-gw1`;
    const ticket = { ticketId: queued.ticketId, mode: 'duo', region: 'eu', rating: 1500, joinedAt: Date.now(), partyId: partyNow!.id };
    broker.publishJson(`${stack.namespace}.deliveries`, gateway, { kind: 'queued', playerIds: [member.id], ticket });
    broker.publishJson(`${stack.namespace}.deliveries`, gateway, { kind: 'party', playerIds: [member.id], party: partyNow });
    await eventually('the party frame behind it', () => member.client.frames.slice(seen).some((frame) => frame.type === 'party'));
    await broker.close();
    expect(member.client.frames.slice(seen).map((frame) => frame.type)).to.deep.equal(['party']);
  });

  it('refuses party.join into a queued party, ends a party ticket for every member at its timeout, and keeps a member through a reconnect', async () => {
    const { code, leader, others } = await party([1500, 1500]);
    leader.client.send({ type: 'join', mode: 'squad', region: 'eu' });
    const { ticketId } = await leader.client.next('queued');
    await others[0]!.client.next('queued');
    const late = await signIn();
    late.client.send({ type: 'party.join', code, id: 'late' });
    expect(await late.client.next('error')).to.include({ code: 'party_queued', id: 'late' });
    // The member goes away and comes back through the other gateway: party, then the ticket.
    others[0]!.client.close();
    const again = await stack.connect(others[0]!.token, 0);
    expect(partyOf(await again.next('party'))!.code).to.equal(code);
    expect(await again.next('queued')).to.include({ ticketId, mode: 'squad', rating: 1500 });
    leader.client.send({ type: 'leave' });
    await leader.client.next('left');
    // A ticket in the slow mode ends at its timeout (1 s), for every member, once each.
    leader.client.send({ type: 'join', mode: 'slow', region: 'eu' });
    const slow = await leader.client.next('queued');
    await again.next('queued');
    for (const client of [leader.client, again])
      expect(await client.next('left', 15_000)).to.deep.equal({ type: 'left', ticketId: slow.ticketId, reason: 'timeout' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(again.frames.filter((frame) => frame.type === 'left' && frame.ticketId === slow.ticketId)).to.have.length(1);
  });
});

describe('a party whose members all disconnected', () => {
  let stack: Stack;
  let redis: Redis;
  before(async () => {
    redis = new Redis(REDIS_URL);
    // The idle hour shortened to 2 s.
    stack = await startStack({ match: MATCH, gateways: 1, partyIdleSeconds: 2, without: ['matcher', 'notifier', 'recorder'] });
  });
  after(async () => {
    await stack?.stop();
    redis.disconnect();
  });

  it('stays while one member is connected, and ends the idle time after the last one left', async () => {
    const [a, b] = await Promise.all([stack.addPlayer('idle-a'), stack.addPlayer('idle-b')]);
    const ca = await stack.connect(a.token);
    ca.send({ type: 'party.create' });
    const code = partyOf(await ca.next('party'))!.code;
    const cb = await stack.connect(b.token);
    cb.send({ type: 'party.join', code });
    await cb.next('party');
    const key = redisKeys(stack.namespace).party(code);
    ca.close();
    // b is still connected (and touched the party on join): a comes back to it.
    const again = await stack.connect(a.token);
    expect(partyOf(await again.next('party'))!.members.map((m) => m.id)).to.deep.equal([a.id, b.id]);
    again.close();
    cb.close();
    await eventually('the party to end', async () => (await redis.exists(key)) === 0, 10_000);
    const back = await stack.connect(a.token);
    back.send({ type: 'party.leave', id: 'gone' });
    expect(await back.next('error')).to.include({ code: 'not_in_party', id: 'gone' });
    expect(back.frames.some((frame) => frame.type === 'party')).to.equal(false);
  });
});

describe('parties off (no mode sets party)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ gateways: 1, without: ['matcher', 'notifier', 'recorder'] });
  });
  after(() => stack?.stop());

  it('answers party frames with unknown_type, as v1 does', async () => {
    const p = await stack.addPlayer('solo-only');
    const client: PlayerClient = await stack.connect(p.token);
    client.send({ type: 'party.create', id: 1 });
    expect(await client.next('error')).to.include({ code: 'unknown_type', id: 1 });
  });
});
