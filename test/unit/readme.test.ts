import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { envSchema } from '../../common/config.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const scripts = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }).scripts;

describe('README', () => {
  it('opens with the two commands of a fresh machine', () => {
    const firstBlock = readme.split('```')[1]!;
    expect(firstBlock).to.include('npm install && npm start');
    expect(firstBlock).to.include('npm test');
  });

  it('documents every environment variable the config reads, and no other', () => {
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('### The matching rule'));
    const documented = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1]);
    expect(documented).to.have.members(Object.keys(envSchema.shape));
    expect(documented).to.have.length(Object.keys(envSchema.shape).length);
  });

  it('states the default of each variable as the schema has it', () => {
    const defaults = envSchema.parse({}) as Record<string, unknown>;
    for (const [name, fallback] of Object.entries(defaults)) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${name}\` |`))!;
      if (fallback !== undefined) expect(row, name).to.include(`\`${String(fallback)}\``);
    }
  });

  it('runs every npm script it names', () => {
    for (const [, script] of readme.matchAll(/npm run ([a-z0-9:]+)/g)) expect(scripts, script).to.have.property(script!);
  });
});
