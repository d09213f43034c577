import { expect } from 'chai';
import { createDb, type Knex } from '../../common/db.js';
import { hashToken } from '../../common/players.js';
import { serverByKey } from '../../common/server-keys.js';
import { runCli } from '../support/cli.js';
import { dropNamespace, newDatabase, newNamespace } from '../support/namespace.js';

describe('npm run servers (game server keys) against the real PostgreSQL', function () {
  // Each case spawns several CLI processes through the TypeScript loader: slow on a busy machine.
  this.timeout(90_000);
  let namespace: string;
  let databaseUrl: string;
  let db: Knex;

  const servers = (...args: string[]) => runCli('cli/servers.ts', args, { DATABASE_URL: databaseUrl });

  before(async () => {
    namespace = newNamespace();
    databaseUrl = await newDatabase(namespace);
  });
  after(async () => {
    await db?.destroy();
    await dropNamespace(namespace, [], databaseUrl);
  });

  it('add prints {"id","name","key"} once, a 256-bit key stored only as its hash; list never shows it; a name may hold several keys; revoke refuses one by id, or all of a name, at once', async () => {
    const added = await servers('add', 'eu-fleet.1');
    expect(added.code, added.stderr).to.equal(0);
    const line = JSON.parse(added.stdout.trim()) as { id: string; name: string; key: string };
    expect(Object.keys(line)).to.deep.equal(['id', 'name', 'key']);
    expect(line.name).to.equal('eu-fleet.1');
    expect(Buffer.from(line.key, 'base64url')).to.have.length(32);

    db = createDb(databaseUrl, 1);
    const rows = await db('server_keys').select('*');
    expect(rows).to.have.length(1);
    expect(rows[0].key_hash).to.equal(hashToken(line.key));
    expect(JSON.stringify(rows)).to.not.include(line.key);
    expect(await serverByKey(db, line.key)).to.deep.equal({ id: line.id, name: 'eu-fleet.1' });

    const listed = await servers('list');
    expect(listed.code).to.equal(0);
    expect(listed.stdout).to.not.include(line.key);
    expect(JSON.parse(listed.stdout.trim())).to.include({ id: line.id, name: 'eu-fleet.1', revokedAt: null });

    // A second key under the same name (a rotation): both speak for the server until revoked.
    const again = await servers('add', 'eu-fleet.1');
    expect(again.code, again.stderr).to.equal(0);
    const second = JSON.parse(again.stdout.trim()) as { id: string; key: string };
    expect(second.key).to.not.equal(line.key);
    expect(await serverByKey(db, line.key)).to.include({ name: 'eu-fleet.1' });
    expect(await serverByKey(db, second.key)).to.deep.equal({ id: second.id, name: 'eu-fleet.1' });

    // A rotation: the old key revoked by its id, the new one still live.
    const byId = await servers('revoke', line.id);
    expect(byId.code, byId.stderr).to.equal(0);
    expect(JSON.parse(byId.stdout.trim())).to.include({ id: line.id });
    expect(await serverByKey(db, line.key)).to.equal(undefined);
    expect(await serverByKey(db, second.key)).to.include({ name: 'eu-fleet.1' });
    const third = JSON.parse((await servers('add', 'eu-fleet.1')).stdout.trim()) as { id: string; key: string };

    const revoked = await servers('revoke', 'eu-fleet.1');
    expect(revoked.code, revoked.stderr).to.equal(0);
    const lines = revoked.stdout
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text) as { id: string; revokedAt: string | null });
    expect(lines.map((key) => key.id)).to.deep.equal([second.id, third.id]);
    for (const key of lines) expect(key.revokedAt).to.be.a('string');
    expect(await serverByKey(db, second.key)).to.equal(undefined);
    expect(await serverByKey(db, third.key)).to.equal(undefined);

    // A revoked name can be given a new key.
    const fresh = JSON.parse((await servers('add', 'eu-fleet.1')).stdout.trim()) as { key: string };
    expect(fresh.key).to.not.equal(line.key);
    expect(await serverByKey(db, fresh.key)).to.include({ name: 'eu-fleet.1' });
  });

  it('says what is wrong with a bad command line, and exits 1', async () => {
    for (const args of [[], ['add'], ['list', 'x'], ['revoke', 'no such name!'], ['frob'], ['add', 'x', '--k']]) {
      const run = await servers(...args);
      expect(run.code, args.join(' ')).to.equal(1);
      expect(run.stderr, args.join(' ')).to.match(/^matchq servers: /);
    }
    const missing = await servers('revoke', 'nobody');
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.include('no live key named nobody');
    const unknownId = await servers('revoke', '00000000-0000-4000-8000-000000000000');
    expect(unknownId.code).to.equal(1);
  });
});
