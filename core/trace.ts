/**
 * Replay traces (contract, "Replay"): NDJSON lines of joins and leaves, `at` ascending.
 * Parsing checks every line against the contract and the match config, and names the line
 * of the first problem, so a bad trace fails before anything is replayed.
 */
import { z } from 'zod';
import type { MatchConfig } from './types.js';

export type TraceEvent =
  | { at: number; type: 'join'; ticketId: string; playerId: string; rating: number; mode: string; region: string }
  | { at: number; type: 'leave'; ticketId: string };

const at = z.number({ message: '`at` must be a number (ms)' }).finite().min(0, { message: '`at` must be >= 0' });
const id = (field: string) => z.string({ message: `\`${field}\` must be a string` }).min(1, { message: `\`${field}\` must not be empty` });

const eventSchema = z.discriminatedUnion(
  'type',
  [
    z.object({
      at,
      type: z.literal('join'),
      ticketId: id('ticketId'),
      playerId: id('playerId'),
      rating: z.number({ message: '`rating` must be a number' }).finite(),
      mode: id('mode'),
      region: id('region'),
    }),
    z.object({ at, type: z.literal('leave'), ticketId: id('ticketId') }),
  ],
  { message: '`type` must be "join" or "leave"' },
);

export class TraceError extends Error {
  constructor(
    readonly line: number,
    problem: string,
  ) {
    super(`trace line ${line}: ${problem}`);
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
      if (!(event.mode in config.modes)) throw new TraceError(i + 1, `unknown mode "${event.mode}"`);
      if (!config.regions.includes(event.region)) throw new TraceError(i + 1, `unknown region "${event.region}"`);
    }
    events.push(event);
  }
  return events;
}
