import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';
import { envSchema, loadConfig } from '../../common/config.js';

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}

const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const scripts = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }).scripts;
const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
const apps = Object.entries(compose.services).filter(([, service]) => service.build);
const backing = { rabbitmq: /^rabbitmq:3\./, redis: /^redis:7/, postgres: /^postgres:15/ };

/** No Docker engine here: the compose file is checked against the code instead. */
describe('docker-compose.yml', () => {
  it('runs RabbitMQ, Redis and PostgreSQL with healthchecks', () => {
    for (const [name, image] of Object.entries(backing)) {
      expect(compose.services[name]?.image, name).to.match(image);
      expect(compose.services[name]?.healthcheck?.test, `${name} healthcheck`).to.be.an('array').that.is.not.empty;
    }
  });

  it('runs every service from the Dockerfile with an npm script that exists', () => {
    expect(apps.map(([name]) => name).sort()).to.deep.equal(['matcher', 'migrate', 'notifier', 'producer', 'recorder']);
    for (const [name, service] of apps) {
      expect(service.command?.slice(0, 2), name).to.deep.equal(['npm', 'run']);
      expect(scripts, name).to.have.property(service.command![2]!);
    }
    for (const folder of ['core', 'common', 'packages/client/src', 'services', 'cli', 'migrations']) expect(dockerfile).to.include(`COPY ${folder} `);
  });

  it('gives the services only variables the config knows, each valid, pointing at the compose hosts', () => {
    const known = Object.keys(envSchema.shape);
    for (const [name, service] of apps) {
      const env = service.environment ?? {};
      expect(
        Object.keys(env).filter((key) => !known.includes(key)),
        `${name}: unknown variables`,
      ).to.deep.equal([]);
      const config = loadConfig(env);
      expect(new URL(config.AMQP_URL[0]!).hostname).to.equal('rabbitmq');
      expect(new URL(config.REDIS_URL).hostname).to.equal('redis');
      expect(new URL(config.DATABASE_URL).hostname).to.equal('postgres');
      expect(new URL(config.DATABASE_URL).pathname).to.equal(`/${compose.services.postgres!.environment!.POSTGRES_DB}`);
    }
  });

  it('starts services only once their backing services are healthy and migrations ran', () => {
    for (const [name, service] of apps.filter(([app]) => app !== 'migrate')) {
      expect(service.depends_on?.rabbitmq?.condition, name).to.equal('service_healthy');
      expect(service.depends_on?.migrate?.condition, name).to.equal('service_completed_successfully');
    }
  });
});
