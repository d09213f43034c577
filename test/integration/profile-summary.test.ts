import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { describeProfiles, profilesByProcess } from '../../bench/load/profile-summary.js';

/**
 * The profile mode's summary on real V8 profiles: a process with a busy main thread and a nearly
 * idle second thread (as tsx's loader thread is) writes two profiles into its folder; the summary
 * names the main thread's top frame.
 */
describe('profile summary: top frames per process', function () {
  this.timeout(30_000);
  let directory: string;
  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'matchq-profiles-'));
  });
  after(() => rmSync(directory, { recursive: true, force: true }));

  it("picks each process's main-thread profile and names its busiest frame", async () => {
    const script = join(directory, 'busy.mjs');
    writeFileSync(
      script,
      [
        "import { Worker } from 'node:worker_threads';",
        "const helper = new Worker('setTimeout(() => undefined, 100)', { eval: true });",
        'function spinForTheProfile() { let sum = 0; for (let i = 0; i < 3e8; i++) sum += i % 7; return sum; }',
        'spinForTheProfile();',
        'await new Promise((resolve) => helper.once("exit", resolve));',
      ].join('\n'),
    );
    mkdirSync(join(directory, 'prof', 'spinner'), { recursive: true });
    await promisify(execFile)(process.execPath, ['--cpu-prof', '--cpu-prof-dir', join(directory, 'prof', 'spinner'), script]);
    expect(readdirSync(join(directory, 'prof', 'spinner'))).to.have.length(2);

    const [profile, ...others] = profilesByProcess(join(directory, 'prof'), 5);
    expect(others).to.deep.equal([]);
    expect(profile!.process).to.equal('spinner');
    expect(profile!.busySeconds).to.be.greaterThan(0);
    expect(profile!.topFrames).to.have.length.of.at.most(5);
    expect(profile!.topFrames[0]!.frame).to.match(/^spinForTheProfile {2}.*busy\.mjs:3$/);
    expect(describeProfiles([profile!]).split('\n')[0]).to.match(/^spinner: busy [\d.]+ s \(\d+% of samples\), .*\.cpuprofile$/);
  });
});
