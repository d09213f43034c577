/**
 * Parses a MATCH_CONFIG file (contract, "Matchmaking rule") into a MatchConfig.
 * Mode and region names become parts of AMQP queue names and Redis keys, so they are held to
 * a conservative alphabet here, once, instead of being escaped everywhere they are used.
 */
import { z } from 'zod';
import type { MatchConfig, ModeRule } from './types.js';

/** The one rule for mode and region names (the broker's messages check it too, common/messages.ts). */
export const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;
const NAME_RULE = "letters, digits, '_' or '-', starting with a letter or digit, at most 32 characters";

const name = z.string().regex(NAME, { message: `must be ${NAME_RULE}` });
const nonNegative = z.number({ message: 'must be a number' }).finite({ message: 'must be finite' }).min(0, { message: 'must be >= 0' });
const count = z.number({ message: 'must be a number' }).int({ message: 'must be an integer' }).min(1, { message: 'must be >= 1' });

const windowSchema = z.strictObject({
  initial: nonNegative.describe('Window at zero wait, in rating points.'),
  perSecond: nonNegative.describe('Window growth per second waited.'),
  // JSON has no Infinity: null says "no max" as plainly as leaving it out.
  max: nonNegative.nullable().optional().describe('Upper bound of the window; none when absent or null.'),
});

const partySchema = z.strictObject({
  maxSize: count.optional().describe('Largest party this mode takes (1 … teamSize); default teamSize.'),
  aggregate: z
    .enum(['avg', 'max'], { message: 'must be "avg" or "max"' })
    .optional()
    .describe("A party's rating: the average or the highest of its members' ratings, rounded; default avg."),
});

const modeSchema = z
  .strictObject({
    teams: count.describe('Teams per room.'),
    teamSize: count.describe('Players per team.'),
    window: windowSchema,
    maxWaitSeconds: z
      .number({ message: 'must be a number' })
      .positive({ message: 'must be > 0' })
      .finite({ message: 'must be finite' })
      .describe('A ticket still unmatched after this long ends with `timeout`.'),
    party: partySchema.optional(),
    accept: z
      .strictObject({
        seconds: z
          .number({ message: 'must be a number' })
          .int({ message: 'must be an integer' })
          .min(1, { message: 'must be >= 1' })
          .max(120, { message: 'must be <= 120' })
          .describe('Ready check: every player must accept a proposed room within this many seconds.'),
        cooldownSeconds: nonNegative.optional().describe('A player who declined or stayed silent may not join this long; default 0.'),
      })
      .optional(),
  })
  .refine((m) => m.teams * m.teamSize >= 2, { message: 'a room needs at least 2 players (teams × teamSize)' })
  .refine((m) => (m.party?.maxSize ?? 1) <= m.teamSize, { message: 'party.maxSize must be at most teamSize', path: ['party', 'maxSize'] });

const configSchema = z.strictObject({
  regions: z
    .array(name)
    .min(1, { message: 'must list at least one region' })
    .refine((r) => new Set(r).size === r.length, { message: 'must not repeat a region' }),
  modes: z.record(name, modeSchema).refine((m) => Object.keys(m).length > 0, { message: 'must define at least one mode' }),
});

/** Throws an Error naming the first bad path, e.g. `MATCH_CONFIG modes.5v5.window.perSecond: must be >= 0`. */
export function parseMatchConfig(json: unknown): MatchConfig {
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    const message = issue.code === 'invalid_key' ? `mode name must be ${NAME_RULE}` : issue.message;
    throw new Error(`MATCH_CONFIG ${path}: ${message}`);
  }
  const modes: MatchConfig['modes'] = {};
  for (const [mode, m] of Object.entries(parsed.data.modes)) {
    modes[mode] = {
      teams: m.teams,
      teamSize: m.teamSize,
      window: { initial: m.window.initial, perSecond: m.window.perSecond, max: m.window.max ?? Infinity },
      maxWaitSeconds: m.maxWaitSeconds,
      // Only when set, so a v1 config parses to exactly what it did (core/party.ts has the defaults).
      ...(m.party && { party: { maxSize: m.party.maxSize ?? m.teamSize, aggregate: m.party.aggregate ?? 'avg' } }),
      // Only a mode that asks for it gets the key: without it a mode is exactly v1's.
      ...(m.accept ? { accept: { seconds: m.accept.seconds, cooldownSeconds: m.accept.cooldownSeconds ?? 0 } } : {}),
    };
  }
  return { regions: [...parsed.data.regions], modes };
}

/**
 * The rule of a mode a client or a message names, or undefined: an own key only, so a word
 * every object inherits (`constructor`, `__proto__`, `toString`) is no mode.
 */
export function modeRule(config: MatchConfig, mode: string): ModeRule | undefined {
  return Object.hasOwn(config.modes, mode) ? config.modes[mode] : undefined;
}
