/**
 * `npm run simulate -- --trace FILE [--config FILE] [--report FILE.html] [--accept-ms MS]
 * [--allocation-fail SHARE] [--seed N] [--true-skill]`: replays a trace through the production
 * matcher core on a virtual clock (contract, "Replay"; README "Replay" for the ready check,
 * allocation, and `--true-skill`: games decided by the players' hidden skill, ratings learning
 * from every result as in production).
 * Rooms and timeouts as NDJSON on stdout, a summary on stderr; a bad input is one line on
 * stderr naming it, and exit code 1.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseMatchConfig } from '../core/match-config.js';
import { learningFigures } from '../core/learning-figures.js';
import { replay } from '../core/replay.js';
import { createLearning } from '../core/replay-learning.js';
import { replayFigures } from '../core/replay-figures.js';
import { DEFAULT_MATCH_CONFIG } from '../core/rule.js';
import { parseTrace, trueSkillsOf } from '../core/trace.js';
import { replayReport } from './simulate-report.js';

const USAGE =
  'usage: npm run simulate -- --trace FILE [--config FILE] [--report FILE.html] [--accept-ms MS] [--allocation-fail SHARE] [--seed N] [--true-skill]';

function fail(message: string): never {
  process.stderr.write(`simulate: ${message}\n`);
  process.exit(1);
}

function read(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    fail(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

function tickMs(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 1000;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < 1) {
    fail(`TICK_MS must be a positive integer of milliseconds, got "${raw}"`);
  }
  return value;
}

/** A non-negative integer option, or its default when absent. */
function wholeNumber(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value)) fail(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

function share(raw: string | undefined): number {
  if (raw === undefined) return 0;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) fail(`--allocation-fail must be a share from 0 to 1, got "${raw}"`);
  return value;
}

let args;
try {
  args = parseArgs({
    options: {
      trace: { type: 'string' },
      config: { type: 'string' },
      report: { type: 'string' },
      'accept-ms': { type: 'string' },
      'allocation-fail': { type: 'string' },
      seed: { type: 'string' },
      'true-skill': { type: 'boolean' },
    },
  }).values;
} catch (error) {
  fail(`${(error as Error).message}\n${USAGE}`);
}
if (!args.trace) fail(`--trace is required\n${USAGE}`);

const tick = tickMs(process.env.TICK_MS);
const acceptMs = wholeNumber(args['accept-ms'], '--accept-ms', 1000);
const allocationFail = share(args['allocation-fail']);
const seed = wholeNumber(args.seed, '--seed', 1);
let config = DEFAULT_MATCH_CONFIG;
if (args.config) {
  let json: unknown;
  try {
    json = JSON.parse(read(args.config, 'config'));
  } catch (error) {
    fail(`config ${args.config} is not valid JSON: ${(error as Error).message}`);
  }
  try {
    config = parseMatchConfig(json);
  } catch (error) {
    fail(`config ${args.config}: ${(error as Error).message}`);
  }
}
let events;
try {
  events = parseTrace(read(args.trace, 'trace'), config);
} catch (error) {
  fail(`${args.trace}: ${(error as Error).message}`);
}

let learning;
if (args['true-skill']) {
  try {
    learning = createLearning({ trueSkills: trueSkillsOf(events), seed });
  } catch (error) {
    fail(`${args.trace}: ${(error as Error).message}`);
  }
}
const result = replay(events, {
  config,
  tickMs: tick,
  acceptMs,
  ...(allocationFail > 0 ? { allocationFail: { share: allocationFail, seed } } : {}),
  ...(learning ? { learning } : {}),
});
// stdout holds the contract's lines only; a join the gateway would refuse (no ticket, so nothing
// the contract prints) is counted on stderr.
const refused = result.outputs.filter((o) => o.type === 'refused');
process.stdout.write(
  result.outputs
    .filter((o) => o.type !== 'refused')
    .map((o) => JSON.stringify(o) + '\n')
    .join(''),
);
const figures = replayFigures(result);
const s = (ms: number) => (ms / 1000).toFixed(1);
process.stderr.write(
  `simulate: ${figures.tickets} tickets, ${figures.rooms} rooms, matched ${(figures.matchedShare * 100).toFixed(1)}%, ` +
    `${figures.timeouts} timeouts, ${figures.cancelled} cancelled; wait p50 ${s(figures.waitP50)} s, p95 ${s(figures.waitP95)} s, ` +
    `max ${s(figures.waitMax)} s; spread mean ${figures.spreadMean.toFixed(1)}, p95 ${figures.spreadP95.toFixed(1)}\n`,
);
const { declined, accept_timeout: silent, allocation_failed: failed } = result.dissolutions;
if (Object.values(config.modes).some((rule) => rule.accept) || allocationFail > 0) {
  process.stderr.write(
    `simulate: ${declined + silent} proposals dissolved (${declined} declined, ${silent} accept_timeout), ${failed} allocations failed; ` +
      `tickets left: ${figures.declined} declined, ${figures.acceptTimeouts} accept_timeout, ${figures.allocationFailed} allocation_failed\n`,
  );
}
if (refused.length > 0) {
  const why = (reason: string) => refused.filter((o) => o.reason === reason).map((o) => o.ticketId);
  const parts = (['cooling_down', 'already_queued'] as const).map((reason) => [reason, why(reason)] as const).filter(([, ids]) => ids.length > 0);
  process.stderr.write(`simulate: ${refused.length} joins refused, no ticket (${parts.map(([reason, ids]) => `${reason}: ${ids.join(' ')}`).join('; ')})\n`);
}
const learned = learning
  ? Object.keys(config.modes)
      .map((mode) => learningFigures(learning, mode))
      .filter((f) => f.games > 0)
  : [];
for (const f of learned) {
  const points = f.convergence.map((p) => `${p.games}: ${p.spearman.toFixed(3)}`).join(', ');
  const slices = f.spreadBySlice.map((v) => v.toFixed(0)).join(' ');
  process.stderr.write(
    `simulate: ${f.mode}: ${f.games} games, ${f.players} players; Spearman of rating with true skill after N games (N: rho) ${points}; ` +
      `final ${f.finalSpearman.toFixed(3)}; true-skill spread in rooms by tenth of the run: ${slices}\n`,
  );
}
if (args.report) {
  try {
    writeFileSync(args.report, replayReport(args.trace, result, figures, learned));
  } catch (error) {
    fail(`cannot write report ${args.report}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  process.stderr.write(`simulate: report written to ${args.report}\n`);
}
