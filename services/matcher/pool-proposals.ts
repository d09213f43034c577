import type { AcceptRule } from '../../core/types.js';
import type { MessageChannel } from '../../common/amqp.js';
import type { Logger } from '../../common/logger.js';
import { DISSOLVED_EVENT_TYPE, encode, PROPOSAL_EVENT_TYPE, type RoomDissolved, type RoomEvent, type RoomProposal } from '../../common/messages.js';
import type { AmqpNames } from '../../common/names.js';
import type { ProposalStore, StoredProposal } from '../../common/proposal-store.js';
import type { MatcherMetrics } from './metrics.js';
import type { HeldRequest, PoolIntake } from './pool-intake.js';
import type { SerializedRoom } from './pool-outbox.js';
import { ticketIdsOf } from './room-event.js';

/** What a pool's ready check needs of Redis: the real ProposalStore, or its in-memory twin in unit tests. */
export type ProposalPort = Pick<ProposalStore, 'propose' | 'step' | 'get' | 'getHeld' | 'pending' | 'decided' | 'settle' | 'setCooldown'>;

/** How long a new owner waits for the redelivered joins of a final room before sending it on without them. */
export const JOINS_WAIT_MS = 10_000;

export interface PoolProposalsDeps {
  intake: PoolIntake;
  accept: AcceptRule;
  channel: MessageChannel;
  store: ProposalPort;
  names: AmqpNames;
  logger: Logger;
  metrics: MatcherMetrics;
  ackAll: (held: HeldRequest[]) => void;
  /** Sends a final room on its way: to the rooms exchange, or with an allocator to allocation (the pool worker's own way). */
  sendFinal: (roomId: string, json: string, ticketIds: string[]) => Promise<void>;
  onRoom?: (event: RoomEvent) => void;
  /** Beside each ready-check counter (the heartbeat's figures, for the dashboard): proposed, accepted, or dissolved with its reason. */
  onProposal?: (outcome: ProposalOutcome) => void;
}

export type ProposalOutcome = 'proposed' | 'accepted' | RoomDissolved['reason'];

/** A proposal whose outcome Redis lost (it restarted empty) is given up this long after its deadline. */
const LOST_GRACE_MS = 5000;

/**
 * One pool's ready check: its proposed rooms from claim to outcome. Redis decides every
 * outcome (step-room.lua: the players' answers and this owner's deadline check race freely);
 * this object only acts on what Redis decided, so whoever owns the pool next, after any
 * crash, finishes the same proposals: a final room is published on the rooms exchange and its
 * joins acked; a dissolved one is announced, its surviving tickets go back to the pool with
 * their join time, and the joins of the ended ones are acked.
 */
export class PoolProposals {
  /** Proposals this owner made or recovered: deadline and tickets, to give up one Redis lost. */
  private readonly known = new Map<string, { deadline: number; ticketIds: string[] }>();
  /** Final rooms waiting for their tickets' joins to be redelivered, since when (ms). */
  private readonly awaitingJoins = new Map<string, number>();
  /** `found` announcements the broker has not confirmed yet. */
  private unfound: RoomProposal[] = [];
  /** Set until the proposals pending in Redis were announced again after taking the pool over. */
  private recovering = true;

  constructor(private readonly deps: PoolProposalsDeps) {}

  get pendingCount(): number {
    return this.known.size;
  }

  /** Proposes claimed rooms in Redis under the pool's epoch as last read; per room, the indexes of the tickets it lost (empty: proposed). */
  async propose(rooms: SerializedRoom[], now: number, epoch: string): Promise<number[][]> {
    const { intake, store } = this.deps;
    const deadline = now + this.deps.accept.seconds * 1000;
    const lost = await store.propose(
      rooms.map(({ event, json }) => {
        const ticketIds = ticketIdsOf(event);
        return {
          mode: intake.mode,
          region: intake.region,
          roomId: event.id,
          ticketIds,
          seats: event.players.map((player) => ({ playerId: player.playerId, ticketId: player.ticketId })),
          json,
          deadline,
        };
      }),
      epoch,
    );
    rooms.forEach(({ event }, index) => {
      if (lost[index]!.length > 0) return;
      this.known.set(event.id, { deadline, ticketIds: ticketIdsOf(event) });
      this.deps.metrics.proposals.inc({ pool: intake.key });
      this.deps.onProposal?.('proposed');
      this.unfound.push(proposalOf(event, deadline));
    });
    return lost;
  }

  /** Announces proposals, finishes what Redis decided, and dissolves the proposals past their deadline. */
  async tick(now: number): Promise<void> {
    if (this.recovering) await this.recover();
    await this.announceFound();
    await this.expireDue(now);
    await this.settleDecided(now);
    await this.giveUpLost(now);
  }

  /** After the channel reopened or the pool changed hands: start again from Redis. */
  reset(): void {
    this.known.clear();
    this.unfound = [];
    this.recovering = true;
  }

  private async recover(): Promise<void> {
    const { intake, store, logger } = this.deps;
    try {
      for (const roomId of await store.pending(intake.mode, intake.region)) {
        const proposal = await store.get(intake.mode, intake.region, roomId);
        if (!proposal || proposal.phase !== 'proposed') continue;
        this.known.set(roomId, { deadline: proposal.deadline, ticketIds: [...new Set(proposal.seats.map((seat) => seat.ticketId))] });
        // Players who were told before the crash hear `found` again; the gateway shows the time left.
        this.unfound.push(proposalOf(JSON.parse(proposal.json) as RoomEvent, proposal.deadline));
      }
      this.recovering = false;
    } catch (error) {
      logger.warn({ err: (error as Error).message, pool: intake.key }, 'reading pending proposals failed; retrying next tick');
    }
  }

  /**
   * Whether a matched ticket's room came from a proposal, which its decided entry publishes
   * (final) or already published (announced): a redelivered join must not publish it again.
   */
  /** A final room not sent on yet: its redelivered joins are to be held, so it goes on with them. */
  async finalNotSent(roomId: string): Promise<boolean> {
    const { intake, store } = this.deps;
    return (await store.get(intake.mode, intake.region, roomId))?.phase === 'final';
  }

  async publishesItself(roomId: string): Promise<boolean> {
    const { intake, store } = this.deps;
    const proposal = await store.get(intake.mode, intake.region, roomId);
    return proposal !== null && (proposal.phase === 'final' || proposal.phase === 'announced');
  }

  /** Tells the notifier of every proposal not yet announced; what the broker refuses waits for the next tick. */
  async announceFound(): Promise<void> {
    const { channel, names, logger } = this.deps;
    const batch = this.unfound;
    this.unfound = [];
    await Promise.all(
      batch.map(async (proposal) => {
        try {
          await channel.publish('', names.notifier, encode(proposal), { messageId: `found-${proposal.roomId}`, type: PROPOSAL_EVENT_TYPE });
        } catch (error) {
          logger.warn({ err: (error as Error).message, room: proposal.roomId }, 'found announcement failed; retrying next tick');
          this.unfound.push(proposal);
        }
      }),
    );
  }

  private async expireDue(now: number): Promise<void> {
    const { intake, store, logger } = this.deps;
    try {
      for (const roomId of await store.pending(intake.mode, intake.region, now)) await store.step(intake.mode, intake.region, roomId, 'expire', now);
    } catch (error) {
      logger.warn({ err: (error as Error).message, pool: intake.key }, 'expiring proposals failed; retrying next tick');
    }
  }

  private async settleDecided(now: number): Promise<void> {
    const { intake, store, logger } = this.deps;
    let decided: string[];
    try {
      decided = await store.decided(intake.mode, intake.region);
    } catch (error) {
      logger.warn({ err: (error as Error).message, pool: intake.key }, 'reading decided proposals failed; retrying next tick');
      return;
    }
    await Promise.all(
      decided.map(async (roomId) => {
        try {
          // Acted on only once a replica holds the decision (ACCEPT_WAIT_MS): a final room published
          // from a primary that then died unreplicated went to its players while Redis, after the
          // failover, still waited on an accept (the room then dissolved too, at its deadline).
          const proposal = await store.getHeld(intake.mode, intake.region, roomId);
          if (!proposal) await store.settle(intake.mode, intake.region, roomId);
          else if (proposal.phase === 'final') await this.publishFinal(proposal, now);
          else if (proposal.phase === 'dissolved') await this.announceDissolved(proposal);
          // `allocating` belongs to allocation; `announced` left the set already.
        } catch (error) {
          logger.warn({ err: (error as Error).message, room: roomId }, 'settling a decided proposal failed; retrying next tick');
        }
      }),
    );
  }

  /**
   * Every player accepted: the room goes on like any final room (to the rooms exchange, or with an
   * allocator to allocation, which then owns its way to the players), then its joins are acked.
   */
  private async publishFinal(proposal: StoredProposal, now: number): Promise<void> {
    const { intake, store, metrics, ackAll, onRoom, sendFinal, logger } = this.deps;
    // A party's members hold one seat each on the party's one ticket.
    const ticketIds = [...new Set(proposal.seats.map((seat) => seat.ticketId))];
    // An owner that took the pool over holds the room's joins only once the broker redelivered
    // them (they stay unacked until this publish). Sent on without them, a room the allocator
    // then releases could not put its tickets back in the pool: they would wait in Redis, in no
    // pool, forever. So wait for them, a while (the chaos run found this after a kill -9).
    const missing = ticketIds.filter((ticketId) => !intake.held.has(ticketId));
    if (missing.length > 0) {
      const since = this.awaitingJoins.get(proposal.roomId) ?? now;
      this.awaitingJoins.set(proposal.roomId, since);
      if (now - since < JOINS_WAIT_MS) return;
      logger.warn({ room: proposal.roomId, missing }, 'a final room goes on without the joins of some tickets; they were not redelivered in time');
    }
    this.awaitingJoins.delete(proposal.roomId);
    await sendFinal(proposal.roomId, proposal.json, ticketIds);
    ackAll(intake.release(ticketIds));
    const answer = await store.step(intake.mode, intake.region, proposal.roomId, 'announce', now);
    this.known.delete(proposal.roomId);
    if (answer.outcome !== 'ok') return;
    const event = JSON.parse(proposal.json) as RoomEvent;
    const pool = intake.key;
    metrics.proposalsAccepted.inc({ pool });
    this.deps.onProposal?.('accepted');
    metrics.rooms.inc({ pool });
    metrics.matchedPlayers.inc({ pool }, event.players.length);
    metrics.spread.observe({ pool }, event.spread);
    for (const player of event.players) metrics.waitSeconds.observe({ pool }, player.waitedMs / 1000);
    onRoom?.(event);
  }

  /** Someone declined or stayed silent: tell everyone, put the others back, ack the ended tickets' joins. */
  private async announceDissolved(proposal: StoredProposal): Promise<void> {
    const { intake, channel, names, store, metrics, ackAll, accept } = this.deps;
    const { reason, ended, requeued } = proposal.dissolved!;
    if (reason === 'accept_timeout' && accept.cooldownSeconds > 0) {
      // A decliner's gateway sets their cooldown; the silent are only known here.
      const silent = proposal.seats.filter((seat) => ended.includes(seat.ticketId) && !proposal.accepted.includes(seat.playerId));
      await Promise.all(silent.map((seat) => store.setCooldown(seat.playerId, accept.cooldownSeconds * 1000)));
    }
    const dissolved: RoomDissolved = {
      v: 1,
      roomId: proposal.roomId,
      mode: intake.mode,
      region: intake.region,
      reason,
      players: proposal.seats.map((seat) => ({
        playerId: seat.playerId,
        ticketId: seat.ticketId,
        outcome: ended.includes(seat.ticketId) ? ('left' as const) : ('requeued' as const),
      })),
    };
    await channel.publish('', names.notifier, encode(dissolved), { messageId: `dissolved-${proposal.roomId}`, type: DISSOLVED_EVENT_TYPE });
    await store.settle(intake.mode, intake.region, proposal.roomId);
    for (const ticketId of requeued) intake.requeue(ticketId);
    ackAll(intake.release(ended));
    if (this.known.delete(proposal.roomId)) {
      metrics.proposalsDissolved.inc({ pool: intake.key, reason });
      this.deps.onProposal?.(reason);
    }
  }

  /**
   * Redis restarted empty under a proposal: its tickets count as queued there, so they wait here
   * again; but not one whose player declined (its gateway said `left declined` and sent a leave):
   * that decision went with Redis, and the ticket ends here, its join acked.
   */
  private async giveUpLost(now: number): Promise<void> {
    const { intake, store } = this.deps;
    for (const [roomId, { deadline, ticketIds }] of this.known) {
      if (now < deadline + LOST_GRACE_MS) continue;
      try {
        if (await store.get(intake.mode, intake.region, roomId)) continue;
      } catch {
        // Redis away: look again next tick. Not logged here: the tick's own Redis calls report the outage.
        return;
      }
      this.known.delete(roomId);
      const left = ticketIds.filter((ticketId) => intake.hasLeft(ticketId));
      for (const ticketId of ticketIds) if (!intake.hasLeft(ticketId)) intake.requeue(ticketId);
      this.deps.ackAll(intake.release(left));
      this.deps.logger.warn({ room: roomId, pool: intake.key }, 'a proposal was lost from Redis; its tickets wait again');
    }
  }
}

function proposalOf(event: RoomEvent, deadline: number): RoomProposal {
  return {
    v: 1,
    roomId: event.id,
    mode: event.mode,
    region: event.region,
    deadline,
    players: event.players.map((player) => ({ playerId: player.playerId, ticketId: player.ticketId, name: player.name })),
  };
}
