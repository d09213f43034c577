import { readdirSync } from 'node:fs';

/**
 * `npm run bench -- NAME [args]` runs bench/NAME.ts's `main(args)`; without a name, every bench.
 */
const here = new URL('.', import.meta.url);
const available = readdirSync(here)
  .filter((file) => file.endsWith('.ts') && file !== 'run.ts')
  .map((file) => file.slice(0, -3))
  .sort();
const [name, ...args] = process.argv.slice(2);
const names = name ? [name] : available;
for (const bench of names) {
  if (!available.includes(bench)) {
    process.stderr.write(`matchq bench: unknown bench "${bench}"; benches: ${available.join(', ')}\n`);
    process.exit(1);
  }
  const module = (await import(new URL(`./${bench}.ts`, here).href)) as { main(args: string[]): Promise<void> };
  await module.main(bench === name ? args : []);
}
