import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { expect } from 'chai';
import { localPort, pidsListeningOn, withDescendants } from '../../bench/load/listeners.js';

/**
 * The bench meters the backing service its URLs name, found by the port it listens on, and the
 * processes under it: here a real server process (listening, with a child of its own) stands in.
 */
describe('bench: the processes of a backing service, by its port', function () {
  this.timeout(20_000);
  let server: ChildProcess | undefined;
  afterEach(() => {
    server?.kill('SIGKILL');
    server = undefined;
  });

  it('finds the process listening on a port, and with its descendants the child it started', async () => {
    // Listens on a free port, starts a sleeping child, then prints the port and the child's pid.
    const code = [
      "const { spawn } = await import('node:child_process');",
      "const server = (await import('node:net')).createServer().listen(0, '127.0.0.1', () => {",
      "  const child = spawn(process.execPath, ['-e', 'setTimeout(() => undefined, 60000)'], { stdio: 'ignore' });",
      '  process.on("SIGTERM", () => { child.kill(); process.exit(0); });',
      '  console.log(JSON.stringify({ port: server.address().port, child: child.pid }));',
      '});',
    ].join('\n');
    server = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(createInterface({ input: server.stdout! }), 'line')) as [string];
    const { port, child } = JSON.parse(line) as { port: number; child: number };

    expect(pidsListeningOn(port)).to.deep.equal([server.pid]);
    expect(withDescendants([server.pid!])).to.have.members([server.pid, child]);
    server.kill('SIGTERM');
    await once(server, 'exit');
    expect(pidsListeningOn(port)).to.deep.equal([]);
  });

  it('reads the port of a local URL, with the scheme’s default, and none for another host', () => {
    expect(localPort('amqp://guest:guest@127.0.0.1:5673')).to.equal(5673);
    expect(localPort('amqp://guest:guest@localhost')).to.equal(5672);
    expect(localPort('redis://127.0.0.1')).to.equal(6379);
    expect(localPort('postgres://postgres@127.0.0.1/matchq')).to.equal(5432);
    expect(localPort('amqps://rabbit.example.com:5671')).to.equal(undefined);
  });
});
