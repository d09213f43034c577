import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ensureDemoPlayers, ensureDemoServerKey } from '../../cli/demo-players.js';
import { revokeServerKeys, serverByKey } from '../../common/server-keys.js';
import { Launcher } from '../../common/launcher.js';
import { createDb, migrateLatest } from '../../common/db.js';
import { addPlayer, playerByToken } from '../../common/players.js';
import { eventually } from '../support/broker.js';
import { dropNamespace, newDatabase, newNamespace } from '../support/namespace.js';

describe('npm start: the supervisor and the demo players', function () {
  this.timeout(30_000);

  it('restarts a child that crashes, and stops every child with SIGTERM', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'matchq-supervisor-'));
    const marker = join(directory, 'marker');
    const lines: string[] = [];
    const supervisor = new Launcher({ restart: 'on-exit', say: (line) => lines.push(line) });
    supervisor.start({ name: 'flaky', script: 'test/support/fixtures/crash-once.ts', env: { CRASH_MARKER: marker } });
    try {
      await eventually('the child to crash once and come back', () => existsSync(`${marker}.up`), 20_000);
      expect(lines.some((line) => line.startsWith('flaky exited (code 1); restarting'))).to.equal(true);
      await supervisor.stopAll();
      expect(readFileSync(`${marker}.stopped`, 'utf8')).to.equal('SIGTERM\n');
      expect(supervisor.children.size).to.equal(0);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("creates the demo players once, with working tokens, reuses them on the next start, and never touches another player's token of the same name", async () => {
    const namespace = newNamespace();
    const databaseUrl = await newDatabase(namespace);
    const db = createDb(databaseUrl, 1);
    const directory = mkdtempSync(join(tmpdir(), 'matchq-demo-'));
    try {
      await migrateLatest(db);
      // Made with `npm run players -- add ada` before the first `npm start`: its token must keep working.
      const theirs = await addPlayer(db, 'ada', 1600);
      const file = join(directory, 'demo-players.json');
      const first = await ensureDemoPlayers(db, file);
      expect(first.created).to.equal(true);
      expect(first.players.length).to.be.at.least(3);
      for (const player of first.players) expect((await playerByToken(db, player.token))?.id).to.equal(player.id);
      expect(first.players.map((player) => player.id)).to.not.include(theirs.id);
      const second = await ensureDemoPlayers(db, file);
      expect(second).to.deep.equal({ players: first.players, created: false });
      // A saved player whose token went stale gets a fresh one, and stays the same player.
      await db('players').where({ id: first.players[1]!.id }).update({ token_hash: 'stale' });
      const third = await ensureDemoPlayers(db, file);
      expect(third.players.map((player) => player.id)).to.deep.equal(first.players.map((player) => player.id));
      expect((await playerByToken(db, third.players[1]!.token))?.id).to.equal(first.players[1]!.id);
      expect(third.players[0]).to.deep.equal(first.players[0]);
      // A lost file makes new demo players; nobody else's token changes.
      rmSync(file);
      const fourth = await ensureDemoPlayers(db, file);
      expect(fourth.created).to.equal(true);
      expect(fourth.players.map((player) => player.id)).to.not.include.members([first.players[0]!.id]);
      expect((await playerByToken(db, theirs.token))?.id).to.equal(theirs.id);
      expect((await playerByToken(db, first.players[0]!.token))?.id).to.equal(first.players[0]!.id);
    } finally {
      await db.destroy();
      rmSync(directory, { recursive: true, force: true });
      await dropNamespace(namespace, [], databaseUrl);
    }
  });

  it('gives the demo game server a key once, reuses it while live, and replaces it once revoked', async () => {
    const namespace = newNamespace();
    const databaseUrl = await newDatabase(namespace);
    const db = createDb(databaseUrl, 1);
    const directory = mkdtempSync(join(tmpdir(), 'matchq-demo-'));
    try {
      await migrateLatest(db);
      const file = join(directory, 'demo-server-key.json');
      await ensureDemoServerKey(db, file);
      const first = JSON.parse(readFileSync(file, 'utf8')) as { id: string; key: string };
      expect(await serverByKey(db, first.key)).to.include({ id: first.id, name: 'demo-game-server' });
      await ensureDemoServerKey(db, file);
      expect(JSON.parse(readFileSync(file, 'utf8'))).to.deep.equal(first);
      await revokeServerKeys(db, 'demo-game-server');
      await ensureDemoServerKey(db, file);
      const second = JSON.parse(readFileSync(file, 'utf8')) as { key: string };
      expect(second.key).to.not.equal(first.key);
      expect(await serverByKey(db, second.key)).to.include({ name: 'demo-game-server' });
    } finally {
      await db.destroy();
      rmSync(directory, { recursive: true, force: true });
      await dropNamespace(namespace, [], databaseUrl);
    }
  });
});
