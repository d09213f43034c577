import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { startPrivatePostgres, type PrivatePostgres } from '../../chaos/private-nodes.js';
import { ensureDatabase } from '../../common/db.js';
import { makeTestPki, type TestPki } from '../support/certificates.js';
import { startStack } from '../support/stack.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs a command's entry point as `npm run` does; how it ended and what it printed. */
function runCommand(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

/**
 * TLS to PostgreSQL by DATABASE_URL alone (`sslmode`, `sslrootcert`), against a private
 * PostgreSQL the test starts that serves TLS only (pg_hba: hostssl, no plain host line), its
 * certificate signed by a CA made here. The machine's PostgreSQL on 5432 is never used.
 */
describe('TLS to PostgreSQL, by DATABASE_URL', function () {
  this.timeout(180_000);
  let pki: TestPki;
  let postgres: PrivatePostgres;
  const verified = (database: string) => `${postgres.url(database)}?sslmode=verify-full&sslrootcert=${encodeURIComponent(pki.ca)}`;

  before(async () => {
    pki = makeTestPki();
    postgres = await startPrivatePostgres({ tls: { ca: pki.ca, cert: pki.serverCert, key: pki.serverKey } });
  });

  after(async () => {
    await postgres?.stop();
    pki?.remove();
  });

  it('runs the gateway and the recorder with sslmode=verify-full and a CA: a player signs in, a room is recorded, every connection is TLS', async () => {
    const url = verified('matchq_tls');
    await ensureDatabase(url);
    const stack = await startStack({ databaseUrl: url });
    try {
      const players = await Promise.all(['ada', 'bob', 'cy'].map((name) => stack.addPlayer(name)));
      // The gateway reads the player (and its ratings) over TLS to answer the upgrade.
      const clients = await Promise.all(players.map((player) => stack.connect(player.token)));
      for (const client of clients) client.send({ type: 'join', mode: 'ffa3', region: 'global' });
      const matched = await Promise.all(clients.map((client) => client.next('matched')));
      const roomId = (matched[0] as { room: { id: string } }).room.id;
      // The recorder writes the room over TLS.
      let recorded: unknown;
      for (let attempt = 0; attempt < 100 && !recorded; attempt++) {
        recorded = await stack.db('rooms').where({ id: roomId }).first();
        if (!recorded) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(recorded, 'the room in PostgreSQL').to.not.equal(undefined);
      // The server's side: every client of matchq's database is on TLS, none in plain text.
      const connections = (await postgres.query("select s.ssl from pg_stat_ssl s join pg_stat_activity a using (pid) where a.datname = 'matchq_tls'"))
        .trim()
        .split('\n');
      expect(connections.length).to.be.greaterThan(1);
      expect(
        connections.every((ssl) => ssl === 't'),
        connections.join(','),
      ).to.be.true;
    } finally {
      await stack.stop();
    }
  });

  it('npm run migrate with sslmode=verify-full and sslrootcert creates the database and migrates it', async () => {
    const { code, output } = await runCommand('cli/migrate.ts', [], { DATABASE_URL: verified('matchq_migrate') });
    expect(code, output).to.equal(0);
    expect(await postgres.query("select count(*) from pg_database where datname = 'matchq_migrate'")).to.equal('1\n');
  });

  it('sslmode=require checks the certificate too: trusted through NODE_EXTRA_CA_CERTS it works, without the CA one line and exit 1', async () => {
    const url = `${postgres.url('matchq_require')}?sslmode=require`;
    const trusted = await runCommand('cli/migrate.ts', [], { DATABASE_URL: url, NODE_EXTRA_CA_CERTS: pki.ca });
    expect(trusted.code, trusted.output).to.equal(0);
    const untrusted = await runCommand('cli/migrate.ts', [], { DATABASE_URL: url, NODE_EXTRA_CA_CERTS: '' });
    expect(untrusted.code, untrusted.output).to.equal(1);
    const lines = untrusted.output.trim().split('\n');
    expect(lines, untrusted.output).to.have.length(1);
    expect(lines[0]).to.match(
      /^matchq migrate: PostgreSQL is not reachable at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/matchq_require\?sslmode=require \(.*certificate.*\)/,
    );
  });

  it('refuses a host name the certificate does not name (verify-full) and a plain connection, each in one line', async () => {
    // The certificate names localhost and 127.0.0.1, not 127.0.0.2 (which still reaches the loopback).
    const wrongHost = verified('matchq_wrong').replace('@127.0.0.1:', '@127.0.0.2:');
    const plain = `${postgres.url('matchq_plain')}?sslmode=disable`;
    const cases = [
      { url: wrongHost, why: /certificate's altnames/ },
      { url: plain, why: /no pg_hba\.conf entry .* no encryption/ },
    ];
    for (const { url, why } of cases) {
      const { code, output } = await runCommand('cli/migrate.ts', [], { DATABASE_URL: url });
      expect(code, output).to.equal(1);
      const lines = output.trim().split('\n');
      expect(lines, output).to.have.length(1);
      expect(lines[0]).to.match(/^matchq migrate: PostgreSQL is not reachable at postgres:\/\/postgres:\*\*\*@/);
      expect(lines[0]).to.match(why);
    }
  });
});
