/**
 * Replay traces (contract, "Replay"): NDJSON lines of joins and leaves, `at` ascending; contract
 * v1.1 adds party joins (`players`) and the ready check's `decline` / `silent` lines.
 * Parsing checks every line against the contract and the match config, and names the line
 * of the first problem, so a bad trace fails before anything is replayed.
 */
import { z } from 'zod';
import { modeRule } from './match-config.js';
import { partyRule } from './party.js';
import type { MatchConfig } from './types.js';

/** One player of a party's join line (contract v1.1, "Replay"). */
export interface TracePlayer {
  playerId: string;
  rating: number;
  /** Replay with learning (`--true-skill`): the player's hidden skill, on the rating scale. */
  trueSkill?: number;
}

/**
 * A join is one player (`playerId`, `rating`) or, contract v1.1, a party ticket (`players`).
 * This project's replay with learning adds `trueSkill` (the player's, or each party member's):
 * the hidden skill games are decided by; `rating` is then the base rating the player starts from.
 */
export type TraceJoin = { at: number; type: 'join'; ticketId: string; mode: string; region: string } & (
  | { playerId: string; rating: number; trueSkill?: number; players?: undefined }
  | { players: TracePlayer[]; playerId?: undefined; rating?: undefined; trueSkill?: undefined }
);

/** Contract v1.1, ready check: how a ticket answers the next time it is proposed after `at`. */
export type TraceAnswer = { at: number; type: 'decline' | 'silent'; ticketId: string };

export type TraceEvent = TraceJoin | { at: number; type: 'leave'; ticketId: string } | TraceAnswer;

const at = z.number({ message: '`at` must be a number (ms)' }).finite().min(0, { message: '`at` must be >= 0' });
const id = (field: string) => z.string({ message: `\`${field}\` must be a string` }).min(1, { message: `\`${field}\` must not be empty` });
const rating = z.number({ message: '`rating` must be a number' }).finite();
const trueSkill = z.number({ message: '`trueSkill` must be a number' }).finite();

const eventSchema = z.discriminatedUnion(
  'type',
  [
    z
      .object({
        at,
        type: z.literal('join'),
        ticketId: id('ticketId'),
        playerId: id('playerId').optional(),
        rating: rating.optional(),
        trueSkill: trueSkill.optional(),
        players: z
          .array(
            z.object(
              { playerId: id('players[].playerId'), rating, trueSkill: trueSkill.optional() },
              { message: '`players` must list {"playerId","rating"} objects' },
            ),
            {
              message: '`players` must be an array',
            },
          )
          .min(1, { message: '`players` must not be empty' })
          .optional(),
        mode: id('mode'),
        region: id('region'),
      })
      .superRefine((join, ctx) => {
        if (join.players && (join.playerId !== undefined || join.rating !== undefined || join.trueSkill !== undefined)) {
          ctx.addIssue({ code: 'custom', message: 'a join has `playerId` and `rating`, or `players` (a party), not both' });
        } else if (!join.players && join.playerId === undefined) ctx.addIssue({ code: 'custom', message: '`playerId` must be a string' });
        else if (!join.players && join.rating === undefined) ctx.addIssue({ code: 'custom', message: '`rating` must be a number' });
      })
      .refine((join) => !join.players || new Set(join.players.map((p) => p.playerId)).size === join.players.length, {
        message: '`players` must not repeat a player',
      }),
    z.object({ at, type: z.literal('leave'), ticketId: id('ticketId') }),
    z.object({ at, type: z.literal('decline'), ticketId: id('ticketId') }),
    z.object({ at, type: z.literal('silent'), ticketId: id('ticketId') }),
  ],
  { message: '`type` must be "join" or "leave" (or "decline" / "silent", the ready check\'s answers)' },
);

export class TraceError extends Error {
  /** `line` null: a problem across lines, named by its ticket instead. */
  constructor(
    readonly line: number | null,
    problem: string,
  ) {
    super(line === null ? `trace: ${problem}` : `trace line ${line}: ${problem}`);
    this.name = 'TraceError';
  }
}

/** Parses a whole trace; blank lines are skipped. Throws TraceError. */
export function parseTrace(text: string, config: MatchConfig): TraceEvent[] {
  const events: TraceEvent[] = [];
  const lines = text.split('\n');
  let last = -Infinity;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new TraceError(i + 1, 'not valid JSON');
    }
    const parsed = eventSchema.safeParse(json);
    if (!parsed.success) throw new TraceError(i + 1, parsed.error.issues[0]!.message);
    const event = parsed.data;
    if (event.at < last) throw new TraceError(i + 1, `at ${event.at} is before the previous event's ${last}`);
    last = event.at;
    if (event.type === 'join') {
      const rule = modeRule(config, event.mode);
      if (!rule) throw new TraceError(i + 1, `unknown mode "${event.mode}"`);
      if (!config.regions.includes(event.region)) throw new TraceError(i + 1, `unknown region "${event.region}"`);
      const { maxSize } = partyRule(rule);
      if (event.players && event.players.length > maxSize) {
        throw new TraceError(i + 1, `a party of ${event.players.length}, mode "${event.mode}" takes parties of up to ${maxSize}`);
      }
    }
    events.push(event as TraceEvent);
  }
  return events;
}

/**
 * Replay with learning: every player's hidden true skill, from the joins' `trueSkill`. A join
 * without one, or a player whose true skill differs between joins, is a TraceError naming the
 * ticket (events carry no line numbers).
 */
export function trueSkillsOf(events: readonly TraceEvent[]): Map<string, number> {
  const skills = new Map<string, number>();
  for (const event of events) {
    if (event.type !== 'join') continue;
    const players = event.players ?? [{ playerId: event.playerId, rating: event.rating, trueSkill: event.trueSkill }];
    for (const { playerId, trueSkill } of players) {
      if (trueSkill === undefined) throw new TraceError(null, `join of ticket ${event.ticketId}: --true-skill needs \`trueSkill\` on every player`);
      const known = skills.get(playerId);
      if (known !== undefined && known !== trueSkill)
        throw new TraceError(null, `join of ticket ${event.ticketId}: player ${playerId} has trueSkill ${trueSkill}, earlier ${known}`);
      skills.set(playerId, trueSkill);
    }
  }
  return skills;
}
