import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';
import { envSchema, loadConfig } from '../../common/config.js';
import { passwordVariable, provisionOptions } from '../../common/provision/provision.js';
import { DEFAULT_ROLE_PREFIX, ROLES, roleName, type Role } from '../../common/provision/roles.js';

interface ComposeService {
  image?: string;
  build?: { context: string; target: string };
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
}

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const raw = read('docker-compose.yml');
const compose = parse(raw, { merge: true }) as { services: Record<string, ComposeService> };
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
const dockerfile = read('Dockerfile');
/** The example secrets, as `docker compose` would read them from a .env copied from it. */
const dotenv = Object.fromEntries(
  read('.env.example')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
);
/** Compose's interpolation of `${NAME}` (and `$$` for a literal `$`). */
const interpolate = (value: string) => value.replace(/\$\{([A-Z_]+)\}/g, (_match, name: string) => dotenv[name] ?? '').replace(/\$\$/g, '$');
const envOf = (service: ComposeService) =>
  Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, interpolate(String(value))]));

const apps = Object.entries(compose.services).filter(([, service]) => service.build?.target === 'app');
const longRunning = apps.filter(([name]) => name !== 'migrate');
const backing = { rabbitmq: /^rabbitmq:3\./, redis: /^redis:7/, postgres: /^postgres:15/ };
/** The role each compose service runs as (npm run provision). */
const roleOf: Record<string, Role> = { producer: 'gateway', matcher: 'matcher', notifier: 'notifier', recorder: 'recorder', migrate: 'owner' };

/** No Docker engine here: the compose file is checked against the code instead. */
describe('docker-compose.yml', () => {
  it('runs RabbitMQ, Redis and PostgreSQL with healthchecks', () => {
    for (const [name, image] of Object.entries(backing)) {
      expect(compose.services[name]?.image, name).to.match(image);
      expect(compose.services[name]?.healthcheck?.test, `${name} healthcheck`).to.be.an('array').that.is.not.empty;
    }
  });

  it('runs every service from the build with plain node: the built file of what its npm script runs', () => {
    expect(apps.map(([name]) => name).sort()).to.deep.equal(['matcher', 'migrate', 'notifier', 'producer', 'recorder']);
    expect(compose.services.provision?.build?.target).to.equal('provision');
    for (const [name, service] of [...apps, ['provision', compose.services.provision!] as const]) {
      // `npm run matcher` is `tsx services/matcher/main.ts`; the image runs `node dist/services/matcher/main.js`.
      expect(scripts[name], name).to.match(/^tsx [a-z/-]+\.ts$/);
      expect(service.command, name).to.deep.equal(['node', `dist/${scripts[name]!.slice('tsx '.length).replace(/\.ts$/, '.js')}`]);
    }
    expect(dockerfile).to.match(/^FROM rabbitmq:3\.\d+ AS provision$/m);
  });

  it('builds the image in a build stage and ships only the build and the production dependencies', () => {
    const stages = dockerfile.split(/^(?=FROM )/m).filter((stage) => stage.startsWith('FROM '));
    const stage = (name: string) => stages.find((text) => text.split('\n')[0]!.endsWith(` AS ${name}`)) ?? '';
    const build = stage('build');
    const app = stage('app');
    // Every tree the build transpiles is in the build stage, and the build runs there.
    for (const folder of ['core', 'common', 'packages/client/src', 'services', 'cli', 'migrations']) expect(build).to.include(`COPY ${folder} `);
    expect(scripts.build).to.equal('tsx cli/build.ts');
    expect(build).to.match(/^RUN npm ci --omit=dev .*$/m);
    expect(build).to.match(/^RUN npm run build$/m);
    // The image: the build's output, no TypeScript, no loader.
    expect(app).to.include('COPY --from=build /app/dist ./dist');
    expect(app).to.not.match(/^COPY (?!--from=build)/m);
    expect(app).to.not.include('tsx');
    expect(app).to.match(/^CMD \["node", "dist\/services\/producer\/main\.js"\]$/m);
    expect(stage('provision')).to.include('COPY --from=app /app /app');
    expect(read('.dockerignore').split('\n')).to.include('dist');
  });

  it('gives the services only variables the config knows, each valid, pointing at the compose hosts', () => {
    const known = Object.keys(envSchema.shape);
    for (const [name, service] of apps) {
      const env = envOf(service);
      expect(
        Object.keys(env).filter((key) => !known.includes(key)),
        `${name}: unknown variables`,
      ).to.deep.equal([]);
      const config = loadConfig(env);
      if (name !== 'migrate') {
        expect(new URL(config.AMQP_URL[0]!).hostname).to.equal('rabbitmq');
        expect(new URL(config.REDIS_URL).hostname).to.equal('redis');
      }
      if (env.DATABASE_URL) {
        expect(new URL(config.DATABASE_URL).hostname).to.equal('postgres');
        expect(new URL(config.DATABASE_URL).pathname).to.equal(`/${compose.services.postgres!.environment!.POSTGRES_DB}`);
      }
    }
  });

  it('connects each service as its own provisioned user, with the secret provision set for it', () => {
    for (const [name, service] of apps) {
      const role = roleOf[name]!;
      const user = roleName(DEFAULT_ROLE_PREFIX, role);
      const password = dotenv[passwordVariable(role)];
      expect(password, `${name}: ${passwordVariable(role)} in .env.example`).to.be.a('string').that.is.not.empty;
      const env = envOf(service);
      const urls = ['AMQP_URL', 'REDIS_URL', 'DATABASE_URL'].filter((key) => env[key]);
      expect(urls, name).to.not.be.empty;
      for (const key of urls) {
        const url = new URL(env[key]!);
        expect({ key, user: url.username, password: url.password }, name).to.deep.equal({ key, user, password });
      }
    }
    // Only the services that use PostgreSQL get a role there (roles.ts).
    expect(apps.filter(([, service]) => service.environment?.DATABASE_URL).map(([name]) => name)).to.have.members(['migrate', 'producer', 'recorder']);
    const provision = envOf(compose.services.provision!);
    const options = provisionOptions(loadConfig(provision), provision);
    expect(options.prefix).to.equal(DEFAULT_ROLE_PREFIX);
    for (const role of ROLES) expect(options.passwords[role], role).to.equal(dotenv[passwordVariable(role)]);
  });

  it('publishes nothing but the gateway, trusts no connection, and keeps every secret in .env', () => {
    const published = Object.entries(compose.services).filter(([, service]) => service.ports?.length);
    expect(published.map(([name]) => name)).to.deep.equal(['producer']);
    expect(compose.services.producer!.ports).to.deep.equal(['8080:8080']);
    const postgres = compose.services.postgres!.environment!;
    expect(postgres).to.not.have.property('POSTGRES_HOST_AUTH_METHOD');
    expect(postgres.POSTGRES_INITDB_ARGS).to.include('--auth-local=scram-sha-256').and.include('--auth-host=scram-sha-256');
    expect(raw).to.not.match(/trust/i);
    // Every secret is interpolated from .env, and .env.example names every one.
    const interpolated = new Set([...raw.matchAll(/\$\{([A-Z_]+)\}/g)].map((match) => match[1]!));
    expect([...interpolated].filter((name) => !(name in dotenv))).to.deep.equal([]);
    expect(Object.keys(dotenv).filter((name) => !interpolated.has(name))).to.deep.equal([]);
    expect(raw).to.not.match(/guest/);
    expect(read('.gitignore').split('\n')).to.include('.env');
  });

  it('checks /readyz of every matchq service, in compose and in the Dockerfile', () => {
    for (const [name, service] of longRunning) {
      const test = service.healthcheck?.test.join(' ') ?? '';
      expect(test, name).to.include('/readyz');
      const env = envOf(service);
      // The port the check asks is the port the service listens on.
      expect(env.METRICS_PORT ?? env.PORT, name).to.be.a('string');
      expect(test, name).to.include('process.env.METRICS_PORT || process.env.PORT');
    }
    expect(dockerfile).to.match(/^HEALTHCHECK .*\\\n\s+CMD .*\/readyz/m);
  });

  it('starts services only once their backing services are healthy and provisioning and migrations ran', () => {
    for (const [name, service] of longRunning) {
      expect(service.depends_on?.rabbitmq?.condition, name).to.equal('service_healthy');
      expect(service.depends_on?.redis?.condition, name).to.equal('service_healthy');
      expect(service.depends_on?.migrate?.condition, name).to.equal('service_completed_successfully');
    }
    expect(compose.services.migrate!.depends_on?.provision?.condition).to.equal('service_completed_successfully');
    for (const backingService of Object.keys(backing)) expect(compose.services.provision!.depends_on?.[backingService]?.condition).to.equal('service_healthy');
  });
});
