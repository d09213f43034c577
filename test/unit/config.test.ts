import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ConfigError, configReaderOf, loadConfig } from '../../common/config.js';

const file = (name: string, content: string) => {
  const path = join(tmpdir(), `matchq-config-test-${process.pid}-${name}`);
  writeFileSync(path, content);
  return path;
};

describe('configuration from the environment', () => {
  it('defaults to the contract: local services, port 8080, ticks of 1 s and the original rule', () => {
    const config = loadConfig({});
    expect(config).to.deep.include({
      AMQP_URL: ['amqp://guest:guest@127.0.0.1:5672'],
      REDIS_URL: 'redis://127.0.0.1:6379',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/matchq',
      PORT: 8080,
      TICK_MS: 1000,
      LOG_LEVEL: 'info',
      MATCHQ_NAMESPACE: 'matchq',
    });
    expect(config.match).to.deep.equal({
      regions: ['global'],
      modes: { ffa3: { teams: 1, teamSize: 3, window: { initial: 0, perSecond: 50, max: Infinity }, maxWaitSeconds: 300 } },
    });
    expect(config.GATEWAY_ID).to.match(/^gw-/);
  });

  it('takes a comma-separated AMQP_URL as a cluster', () => {
    expect(loadConfig({ AMQP_URL: 'amqp://a:5672, amqp://b:5672' }).AMQP_URL).to.deep.equal(['amqp://a:5672', 'amqp://b:5672']);
  });

  const invalid: [Record<string, string>, string][] = [
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ TICK_MS: '0' }, 'TICK_MS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ AMQP_URL: 'http://x' }, 'AMQP_URL'],
    [{ REDIS_URL: 'localhost' }, 'REDIS_URL'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ GATEWAY_ID: 'a b' }, 'GATEWAY_ID'],
    [{ METRICS_PORT: '-1' }, 'METRICS_PORT'],
    [{ MATCH_CONFIG: '/nonexistent/rule.json' }, 'MATCH_CONFIG'],
  ];
  for (const [env, name] of invalid) {
    it(`stops with a message naming ${name} for ${JSON.stringify(env)}`, () => {
      expect(() => loadConfig(env)).to.throw(ConfigError, name);
    });
  }

  it('reads MATCH_CONFIG from a file, and refuses a broken one naming the bad field', () => {
    const good = file(
      'good.json',
      JSON.stringify({
        regions: ['eu', 'us'],
        modes: { duo: { teams: 2, teamSize: 2, window: { initial: 10, perSecond: 20, max: 400 }, maxWaitSeconds: 120 } },
      }),
    );
    expect(loadConfig({ MATCH_CONFIG: good }).match.modes.duo!.window.max).to.equal(400);
    const broken = file(
      'broken.json',
      JSON.stringify({ regions: ['eu'], modes: { duo: { teams: 0, teamSize: 2, window: { initial: 0, perSecond: 50 }, maxWaitSeconds: 60 } } }),
    );
    expect(() => loadConfig({ MATCH_CONFIG: broken })).to.throw(ConfigError, /MATCH_CONFIG.*teams/);
    expect(() => loadConfig({ MATCH_CONFIG: file('junk.json', '{') })).to.throw(ConfigError, 'MATCH_CONFIG');
  });

  it("leaves allocation off by default, with the contract's defaults for the rest", () => {
    const config = loadConfig({});
    expect(config).to.deep.include({
      ALLOCATOR: 'none',
      ALLOCATOR_TIMEOUT_MS: 5000,
      ALLOCATOR_BUDGET_MS: 30_000,
      AGONES_NAMESPACE: 'default',
      AGONES_FLEET: 'matchq',
      JOIN_TOKEN_TTL_SECONDS: 300,
    });
    expect([config.JOIN_TOKEN_SECRET, config.ALLOCATOR_URL, config.ALLOCATOR_TOKEN]).to.deep.equal([undefined, undefined, undefined]);
  });

  const allocatorEnv: [Record<string, string>, string][] = [
    [{ ALLOCATOR: 'kubernetes' }, 'ALLOCATOR'],
    [{ ALLOCATOR: 'http', ALLOCATOR_URL: 'http://fleet/allocate' }, 'JOIN_TOKEN_SECRET'],
    [{ ALLOCATOR: 'agones', AGONES_ALLOCATOR_URL: 'https://a/gameserverallocation', AGONES_CLIENT_CERT: 'c', AGONES_CLIENT_KEY: 'k' }, 'JOIN_TOKEN_SECRET'],
    [{ ALLOCATOR: 'http', JOIN_TOKEN_SECRET: 's' }, 'ALLOCATOR_URL'],
    [{ ALLOCATOR: 'http', JOIN_TOKEN_SECRET: 's', ALLOCATOR_URL: 'fleet:80' }, 'ALLOCATOR_URL'],
    [{ ALLOCATOR: 'agones', JOIN_TOKEN_SECRET: 's', AGONES_CLIENT_CERT: 'c', AGONES_CLIENT_KEY: 'k' }, 'AGONES_ALLOCATOR_URL'],
    [
      { ALLOCATOR: 'agones', JOIN_TOKEN_SECRET: 's', AGONES_ALLOCATOR_URL: 'http://a/gameserverallocation', AGONES_CLIENT_CERT: 'c', AGONES_CLIENT_KEY: 'k' },
      'AGONES_ALLOCATOR_URL',
    ],
    [{ ALLOCATOR: 'agones', JOIN_TOKEN_SECRET: 's', AGONES_ALLOCATOR_URL: 'https://a/gameserverallocation', AGONES_CLIENT_KEY: 'k' }, 'AGONES_CLIENT_CERT'],
    [{ ALLOCATOR: 'agones', JOIN_TOKEN_SECRET: 's', AGONES_ALLOCATOR_URL: 'https://a/gameserverallocation', AGONES_CLIENT_CERT: 'c' }, 'AGONES_CLIENT_KEY'],
    [{ ALLOCATOR_TIMEOUT_MS: '0' }, 'ALLOCATOR_TIMEOUT_MS'],
    [{ ALLOCATOR_BUDGET_MS: 'soon' }, 'ALLOCATOR_BUDGET_MS'],
    [{ JOIN_TOKEN_TTL_SECONDS: '-5' }, 'JOIN_TOKEN_TTL_SECONDS'],
  ];
  for (const [env, name] of allocatorEnv) {
    it(`stops naming ${name} for ${JSON.stringify(env)}`, () => {
      expect(() => loadConfig(env)).to.throw(ConfigError, name);
    });
  }

  it('takes a complete http or agones allocator, and needs no JOIN_TOKEN_SECRET without one', () => {
    expect(
      loadConfig({ ALLOCATOR: 'http', ALLOCATOR_URL: 'https://fleet.example/allocate', JOIN_TOKEN_SECRET: 's', ALLOCATOR_BUDGET_MS: '2000' }),
    ).to.deep.include({ ALLOCATOR: 'http', ALLOCATOR_URL: 'https://fleet.example/allocate', ALLOCATOR_BUDGET_MS: 2000 });
    expect(
      loadConfig({
        ALLOCATOR: 'agones',
        JOIN_TOKEN_SECRET: 's',
        AGONES_ALLOCATOR_URL: 'https://10.0.0.1/gameserverallocation',
        AGONES_CLIENT_CERT: 'c',
        AGONES_CLIENT_KEY: 'k',
        AGONES_FLEET: 'arena',
      }),
    ).to.deep.include({ ALLOCATOR: 'agones', AGONES_FLEET: 'arena', AGONES_NAMESPACE: 'default' });
    expect(loadConfig({ ALLOCATOR: 'none' }).ALLOCATOR).to.equal('none');
  });

  it('asks each process only for the allocator settings it uses: the gateway the join-token key, the allocator its fleet, the routers neither', () => {
    const http = { ALLOCATOR: 'http' };
    for (const router of ['matcher', 'notifier', 'recorder', 'migrate', 'players', 'tap'])
      expect(loadConfig(http, configReaderOf(router)).ALLOCATOR, router).to.equal('http');
    expect(() => loadConfig(http, configReaderOf('producer'))).to.throw(ConfigError, 'JOIN_TOKEN_SECRET');
    expect(loadConfig({ ...http, JOIN_TOKEN_SECRET: 's' }, configReaderOf('producer')).JOIN_TOKEN_SECRET).to.equal('s');
    expect(() => loadConfig(http, configReaderOf('allocator'))).to.throw(ConfigError, 'ALLOCATOR_URL');
    expect(loadConfig({ ...http, ALLOCATOR_URL: 'http://fleet/allocate' }, configReaderOf('allocator')).ALLOCATOR_URL).to.equal('http://fleet/allocate');
    expect(() => loadConfig({ ALLOCATOR: 'agones' }, configReaderOf('allocator'))).to.throw(ConfigError, 'AGONES_ALLOCATOR_URL');
    expect(() => loadConfig(http, configReaderOf('verify-token'))).to.throw(ConfigError, 'JOIN_TOKEN_SECRET');
    // npm start runs the gateway and the allocator, so it needs both; so does a name not known.
    expect(() => loadConfig({ ...http, JOIN_TOKEN_SECRET: 's' }, configReaderOf('start'))).to.throw(ConfigError, 'ALLOCATOR_URL');
    expect(() => loadConfig({ ...http, ALLOCATOR_URL: 'http://fleet/allocate' }, configReaderOf('start'))).to.throw(ConfigError, 'JOIN_TOKEN_SECRET');
    expect(configReaderOf('something-new')).to.equal('all');
    // A value given is still checked, whoever reads it.
    expect(() => loadConfig({ ...http, ALLOCATOR_URL: 'ftp://fleet' }, configReaderOf('matcher'))).to.throw(ConfigError, 'ALLOCATOR_URL');
  });

  it('never puts a secret in its error message', () => {
    expect(() => loadConfig({ ALLOCATOR: 'http', JOIN_TOKEN_SECRET: 'hunter2-secret', ALLOCATOR_TOKEN: 'bearer-secret' }))
      .to.throw(ConfigError)
      .that.satisfies((error: Error) => !/hunter2|bearer-secret/.test(error.message));
  });

  it('refuses a maxWaitSeconds that would outlive the broker consumer timeout', () => {
    const tooLong = file(
      'long.json',
      JSON.stringify({ regions: ['eu'], modes: { slow: { teams: 1, teamSize: 2, window: { initial: 0, perSecond: 1 }, maxWaitSeconds: 3600 } } }),
    );
    expect(() => loadConfig({ MATCH_CONFIG: tooLong })).to.throw(ConfigError, /consumer timeout/);
  });
});
