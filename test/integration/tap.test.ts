import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { amqpNames } from '../../common/names.js';
import { eventually, PlainBroker } from '../support/broker.js';
import { dropNamespace, newNamespace } from '../support/namespace.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** `npm run tap`: an analyst's live view of matchq.rooms, NDJSON on stdout and nothing else there. */
describe('npm run tap', function () {
  this.timeout(60_000);

  it('started before any service declared the rooms exchange, waits for it, then prints each room as one JSON line; its own lines go to stderr', async () => {
    const namespace = newNamespace();
    const names = amqpNames(namespace);
    const broker = await PlainBroker.connect();
    const tap = spawn(process.execPath, ['--import', 'tsx', 'cli/tap.ts'], { cwd: root, env: { ...process.env, MATCHQ_NAMESPACE: namespace } });
    let stdout = '';
    let stderr = '';
    tap.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    tap.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await eventually('the tap waiting for the exchange', () => stderr.includes(`waiting for ${names.rooms}`), 20_000);
      expect(tap.exitCode).to.equal(null);
      // What a service declares at its first start (common/topology.ts: a durable fanout).
      await broker.channel.assertExchange(names.rooms, 'fanout', { durable: true });
      await eventually('the tap tapping', () => stderr.includes(`tapping ${names.rooms}`), 20_000);
      const room = { v: 1, id: 'b6f1c2a4-0d5e-4f6a-9b7c-1d2e3f4a5b6c', mode: 'ffa3', region: 'global', players: [] };
      broker.publishJson(names.rooms, '', 'not json at all');
      broker.publishJson(names.rooms, '', room);
      await eventually('the room on stdout', () => stdout.includes(room.id));
      expect(
        stdout
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as unknown),
      ).to.deep.equal([room]);
      expect(stderr).to.include('skipped a message that is not JSON');
    } finally {
      tap.kill('SIGTERM');
      await broker.close();
      await dropNamespace(namespace, []);
    }
  });
});
