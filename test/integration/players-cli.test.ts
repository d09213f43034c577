import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { playerByToken } from '../../common/players.js';
import { createDb } from '../../common/db.js';
import { runCli } from '../support/cli.js';
import { DATABASE_SERVER, dropNamespace, newNamespace } from '../support/namespace.js';

describe('npm run players (add a player) against the real PostgreSQL', function () {
  // Each case spawns CLI processes through the TypeScript loader: slow on a busy machine.
  this.timeout(90_000);
  let namespace: string;
  let databaseUrl: string;

  const players = (...args: string[]) => runCli('cli/players.ts', args, { DATABASE_URL: databaseUrl });

  before(() => {
    namespace = newNamespace();
    // A name with a hyphen: the database is created (quoted), as any name PostgreSQL takes.
    databaseUrl = `${DATABASE_SERVER}/matchq-${namespace}`;
  });
  after(async () => {
    await dropNamespace(namespace, [], databaseUrl);
  });

  it('creates the database if missing and prints {"id","name","rating","token"}; names are labels: long ones, and the same one twice, are two players', async () => {
    const name = `player-${randomUUID()}`;
    const first = await players('add', name, '--rating', '1720');
    expect(first.code, first.stderr).to.equal(0);
    const line = JSON.parse(first.stdout.trim()) as { id: string; name: string; rating: number; token: string };
    expect(Object.keys(line)).to.deep.equal(['id', 'name', 'rating', 'token']);
    expect(line).to.include({ name, rating: 1720 });

    const second = await players('add', name);
    expect(second.code, second.stderr).to.equal(0);
    const other = JSON.parse(second.stdout.trim()) as { id: string; rating: number; token: string };
    expect(other.id).to.not.equal(line.id);
    expect(other.rating).to.equal(1500);

    const db = createDb(databaseUrl, 1);
    try {
      expect(await playerByToken(db, line.token)).to.deep.equal({ id: line.id, name, rating: 1720 });
      expect(await playerByToken(db, other.token)).to.deep.equal({ id: other.id, name, rating: 1500 });
    } finally {
      await db.destroy();
    }
  });

  it('says what is wrong with a bad command line in one line, never a stack trace, and exits 1', async () => {
    for (const args of [
      [],
      ['add'],
      ['add', 'x', '--bogus'],
      ['add', 'x', '--rating'],
      ['add', 'x', '--rating', 'high'],
      ['add', 'a\u0007b'],
      ['add', 'x'.repeat(65)],
    ]) {
      const run = await players(...args);
      expect(run.code, args.join(' ')).to.equal(1);
      expect(run.stderr, args.join(' ')).to.match(/^matchq players: [^\n]+\n$/);
    }
  });
});
