/** `npm run simulate` end to end, as a child process on files (in a temporary directory). */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '../../cli/simulate.ts');
const EXAMPLE = join(import.meta.dirname, '../../docs/examples/trace.ndjson');

function simulate(args: string[], env: Record<string, string> = {}) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('cli/simulate', function () {
  this.timeout(120_000); // each case spawns tsx a few times; slow on a loaded machine
  const dir = mkdtempSync(join(tmpdir(), 'matchq-simulate-'));

  it("replays the example trace in the contract's format, byte for byte the same twice", () => {
    const first = simulate(['--trace', EXAMPLE]);
    expect(first.code, first.stderr).to.equal(0);
    const lines = first.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).to.be.greaterThan(1);
    for (const line of lines) {
      if (line.type === 'room') {
        expect(Object.keys(line)).to.deep.equal(['type', 'at', 'mode', 'region', 'tickets', 'spread']);
        expect(line.tickets).to.have.length(3);
      } else {
        expect(Object.keys(line)).to.deep.equal(['type', 'at', 'ticketId']);
      }
      expect(line.at % 1000).to.equal(0);
    }
    expect(first.stderr).to.match(/tickets, \d+ rooms/);
    expect(simulate(['--trace', EXAMPLE]).stdout).to.equal(first.stdout);
  });

  it('replays the party example: party join lines, and room lines with teams in a two-team mode', () => {
    const examples = join(import.meta.dirname, '../../docs/examples');
    const run = simulate(['--trace', join(examples, 'party-trace.ndjson'), '--config', join(examples, 'party-config.json')]);
    expect(run.code, run.stderr).to.equal(0);
    expect(
      run.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).to.deep.equal([
      { type: 'room', at: 1000, mode: 'duo', region: 'eu', tickets: ['t1', 't2', 't3'], spread: 60, teams: [['t1'], ['t2', 't3']] },
      { type: 'room', at: 2000, mode: 'duo', region: 'eu', tickets: ['t4', 't5'], spread: 10, teams: [['t4'], ['t5']] },
      { type: 'timeout', at: 63000, ticketId: 't6' },
    ]);
  });

  it('takes a config and TICK_MS, and writes a self-contained report', () => {
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({ regions: ['global'], modes: { ffa3: { teams: 1, teamSize: 3, window: { initial: 0, perSecond: 50 }, maxWaitSeconds: 30 } } }),
    );
    const report = join(dir, 'report.html');
    const run = simulate(['--trace', EXAMPLE, '--config', config, '--report', report], { TICK_MS: '250' });
    expect(run.code, run.stderr).to.equal(0);
    for (const line of run.stdout.trimEnd().split('\n')) expect(JSON.parse(line).at % 250).to.equal(0);
    const html = readFileSync(report, 'utf8');
    expect(html)
      .to.match(/^<!doctype html>/)
      .and.to.include('<svg')
      .and.to.include('matched share');
    expect(html).not.to.match(/<script|https?:\/\//);
  });

  it('replays the ready-check example: decline and silent lines, --accept-ms, --allocation-fail with --seed', () => {
    const trace = join(import.meta.dirname, '../../docs/examples/ready-check-trace.ndjson');
    const config = join(import.meta.dirname, '../../docs/examples/ready-check-config.json');
    const run = simulate(['--trace', trace, '--config', config]);
    expect(run.code, run.stderr).to.equal(0);
    expect(
      run.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).to.deep.equal([
      { type: 'dissolved', at: 2000, tickets: ['b', 'c', 'a'], reason: 'declined' },
      { type: 'left', at: 2000, ticketId: 'c', reason: 'declined' },
      { type: 'dissolved', at: 14000, tickets: ['d', 'b', 'a'], reason: 'accept_timeout' },
      { type: 'left', at: 14000, ticketId: 'd', reason: 'accept_timeout' },
      { type: 'room', at: 16000, mode: 'ffa3', region: 'global', tickets: ['e', 'b', 'a'], spread: 0 },
      { type: 'timeout', at: 320000, ticketId: 'f' },
    ]);
    expect(run.stderr).to.match(/2 proposals dissolved \(1 declined, 1 accept_timeout\)/);
    // c2 rejoined while cooling down: no ticket, so no line of the contract's; the summary says so.
    expect(run.stderr).to.include('1 joins refused, no ticket (cooling_down: c2)');
    // accept-ms 4000: proposed at 1000, the accepts at 5000 are seen by the tick at 5000.
    const slow = simulate(['--trace', trace, '--config', config, '--accept-ms', '4000']);
    expect(slow.stdout.split('\n')[0]).to.equal('{"type":"dissolved","at":5000,"tickets":["b","c","a"],"reason":"declined"}');
    const failing = simulate(['--trace', EXAMPLE, '--allocation-fail', '1']);
    expect(failing.code, failing.stderr).to.equal(0);
    expect(failing.stdout).to.not.include('"type":"room"');
    expect(failing.stdout).to.include('"reason":"allocation_failed"');
    const some = simulate(['--trace', EXAMPLE, '--allocation-fail', '0.5', '--seed', '3']);
    expect(simulate(['--trace', EXAMPLE, '--allocation-fail', '0.5', '--seed', '3']).stdout).to.equal(some.stdout);
    expect(some.stderr).to.match(/\d+ allocations failed/);
  });

  it('replays the true-skill example with --true-skill: each room followed by its result, ratings carried between games, convergence on stderr', () => {
    const trace = join(import.meta.dirname, '../../docs/examples/true-skill-trace.ndjson');
    const run = simulate(['--trace', trace, '--true-skill', '--seed', '7', '--report', join(dir, 'learning.html')]);
    expect(run.code, run.stderr).to.equal(0);
    const lines = run.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; at: number; tickets: string[]; placements: { playerId: string; before: number; after: number }[] });
    const rooms = lines.filter((l) => l.type === 'room');
    expect(rooms.length).to.be.greaterThan(3);
    const rating = new Map<string, number>();
    lines.forEach((line, i) => {
      if (line.type === 'room')
        expect(lines[i + 1])
          .to.include({ type: 'result', at: line.at })
          .and.to.have.deep.property('tickets', line.tickets);
      if (line.type !== 'result') return;
      expect(line.placements).to.have.length(3);
      for (const p of line.placements) {
        expect(p.before).to.equal(rating.get(p.playerId) ?? 1500);
        rating.set(p.playerId, p.after);
      }
    });
    expect([...rating.values()].some((r) => r !== 1500)).to.equal(true);
    expect(run.stderr).to.match(/ffa3: \d+ games, 12 players; Spearman of rating with true skill after N games \(N: rho\) 0: 0\.000, 1: -?[01]\.\d{3}/);
    expect(run.stderr).to.match(/true-skill spread in rooms by tenth of the run: (\d+ ){9}\d+/);
    expect(readFileSync(join(dir, 'learning.html'), 'utf8')).to.include('Spearman of rating with true skill');
    expect(simulate(['--trace', trace, '--true-skill', '--seed', '7']).stdout).to.equal(run.stdout);
    expect(simulate(['--trace', trace, '--true-skill', '--seed', '8']).stdout).to.not.equal(run.stdout);
    // Without the flag the same trace replays as v1: no result lines, the trace ratings as they are.
    expect(simulate(['--trace', trace]).stdout).to.not.include('"type":"result"');
  });

  it('fails with one line naming a bad TICK_MS, trace line or config path, exit 1', () => {
    const trace = join(dir, 'bad.ndjson');
    writeFileSync(trace, '{"at":0,"type":"join","ticketId":"a","playerId":"p","rating":1500,"mode":"ffa3","region":"global"}\n{"at":1}\n');
    const badConfig = join(dir, 'bad-config.json');
    writeFileSync(
      badConfig,
      JSON.stringify({ regions: ['global'], modes: { ffa3: { teams: 0, teamSize: 3, window: { initial: 0, perSecond: 50 }, maxWaitSeconds: 30 } } }),
    );
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['--trace', EXAMPLE], { TICK_MS: '0' }, /TICK_MS must be a positive integer/],
      [['--trace', trace], {}, /bad\.ndjson: trace line 2: /],
      [['--trace', EXAMPLE, '--config', badConfig], {}, /modes\.ffa3\.teams: must be >= 1/],
      [[], {}, /--trace is required/],
      [['--trace', EXAMPLE, '--accept-ms', '1.5s'], {}, /--accept-ms must be a non-negative integer/],
      [['--trace', EXAMPLE, '--allocation-fail', '1.5'], {}, /--allocation-fail must be a share from 0 to 1/],
      [['--trace', EXAMPLE, '--true-skill'], {}, /trace\.ndjson: trace: join of ticket \S+: --true-skill needs `trueSkill` on every player/],
    ];
    for (const [args, env, message] of cases) {
      const run = simulate(args, env);
      expect(run.code).to.equal(1);
      expect(run.stderr).to.match(message);
      expect(run.stderr).not.to.match(/\n\s+at /);
      expect(run.stdout).to.equal('');
    }
  });
});
