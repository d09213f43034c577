import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../common/config.js';

const file = (name: string, content: string) => {
  const path = join(tmpdir(), `matchq-config-test-${process.pid}-${name}`);
  writeFileSync(path, content);
  return path;
};

describe('configuration from the environment', () => {
  it('defaults to the contract: local services, port 8080, ticks of 1 s and the original rule', () => {
    const config = loadConfig({});
    expect(config).to.deep.include({
      AMQP_URL: ['amqp://guest:guest@127.0.0.1:5672'], REDIS_URL: 'redis://127.0.0.1:6379',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/matchq', PORT: 8080, TICK_MS: 1000, LOG_LEVEL: 'info', MATCHQ_NAMESPACE: 'matchq',
    });
    expect(config.match).to.deep.equal({ regions: ['global'], modes: { ffa3: { teams: 1, teamSize: 3, window: { initial: 0, perSecond: 50, max: Infinity }, maxWaitSeconds: 300 } } });
    expect(config.GATEWAY_ID).to.match(/^gw-/);
  });

  it('takes a comma-separated AMQP_URL as a cluster', () => {
    expect(loadConfig({ AMQP_URL: 'amqp://a:5672, amqp://b:5672' }).AMQP_URL).to.deep.equal(['amqp://a:5672', 'amqp://b:5672']);
  });

  const invalid: [Record<string, string>, string][] = [
    [{ PORT: 'eighty' }, 'PORT'], [{ PORT: '70000' }, 'PORT'], [{ TICK_MS: '0' }, 'TICK_MS'], [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ AMQP_URL: 'http://x' }, 'AMQP_URL'], [{ REDIS_URL: 'localhost' }, 'REDIS_URL'], [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ GATEWAY_ID: 'a b' }, 'GATEWAY_ID'], [{ METRICS_PORT: '-1' }, 'METRICS_PORT'],
    [{ MATCH_CONFIG: '/nonexistent/rule.json' }, 'MATCH_CONFIG'],
  ];
  for (const [env, name] of invalid) {
    it(`stops with a message naming ${name} for ${JSON.stringify(env)}`, () => {
      expect(() => loadConfig(env)).to.throw(ConfigError, name);
    });
  }

  it('reads MATCH_CONFIG from a file, and refuses a broken one naming the bad field', () => {
    const good = file('good.json', JSON.stringify({ regions: ['eu', 'us'], modes: { duo: { teams: 2, teamSize: 2, window: { initial: 10, perSecond: 20, max: 400 }, maxWaitSeconds: 120 } } }));
    expect(loadConfig({ MATCH_CONFIG: good }).match.modes.duo!.window.max).to.equal(400);
    const broken = file('broken.json', JSON.stringify({ regions: ['eu'], modes: { duo: { teams: 0, teamSize: 2, window: { initial: 0, perSecond: 50 }, maxWaitSeconds: 60 } } }));
    expect(() => loadConfig({ MATCH_CONFIG: broken })).to.throw(ConfigError, /MATCH_CONFIG.*teams/);
    expect(() => loadConfig({ MATCH_CONFIG: file('junk.json', '{') })).to.throw(ConfigError, 'MATCH_CONFIG');
  });

  it('refuses a maxWaitSeconds that would outlive the broker consumer timeout', () => {
    const tooLong = file('long.json', JSON.stringify({ regions: ['eu'], modes: { slow: { teams: 1, teamSize: 2, window: { initial: 0, perSecond: 1 }, maxWaitSeconds: 3600 } } }));
    expect(() => loadConfig({ MATCH_CONFIG: tooLong })).to.throw(ConfigError, /consumer timeout/);
  });
});
