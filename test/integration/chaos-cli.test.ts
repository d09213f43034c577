import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const root = fileURLToPath(new URL('../..', import.meta.url));

const chaos = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'chaos/main.ts', ...args], { cwd: root, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });

/** `npm run chaos` as an operator types it wrong, in a real process: the usage, never a stack trace. */
describe('npm run chaos, its command line', function () {
  this.timeout(60_000);

  it('prints the usage for --help and exits 0, starting nothing', async () => {
    const run = await chaos(['--help']);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/^usage: npm run chaos -- \[--cluster\]/);
    expect(run.stderr).to.equal('');
  });

  it('names an unknown option and shows the usage, exit 1, no stack trace', async () => {
    const run = await chaos(['--tikets', '10']);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.include("matchq chaos: Unknown option '--tikets'").and.include('usage: npm run chaos');
    expect(run.stderr).to.not.match(/^\s+at /m);
  });
});
