import { build } from 'esbuild';
import { cpSync, existsSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../common/layout.js';
import { exitOnStartError, UsageError } from '../common/run-service.js';
import { bundleOptions } from '../services/producer/web-bundles.js';

/**
 * `npm run build`: the product as plain JavaScript, so production runs `node` with no
 * TypeScript loader (`npm start` and the image run this). Each file is transpiled on its own,
 * not bundled: the tree keeps its shape, so every `import.meta.url` path (Lua scripts,
 * migrations, the pages) finds the files copied beside it, as in the sources.
 */
const USAGE = 'usage: npm run build [-- --outdir DIR] [--quiet]   (default dist/; DIR must sit beside node_modules; --quiet: no summary line)';

/** What runs in production; bench/, chaos/ and test/ run from the sources only. */
const TREES = ['core', 'common', 'services', 'cli', 'migrations', 'packages/client/src'];
/** The browser code is bundled apart (web-bundles.ts), and the build does not ship itself. */
const NOT_TRANSPILED = ['services/producer/web/', 'cli/build.ts'];
/** Files read at run time next to the code that reads them. */
const COPIED = ['common/lua', 'services/producer/public'];

function sources(): string[] {
  return TREES.flatMap((tree) =>
    readdirSync(join(repoRoot, tree), { recursive: true, encoding: 'utf8' })
      .map((file) => `${tree}/${file}`)
      .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !NOT_TRANSPILED.some((skip) => file.startsWith(skip))),
  );
}

async function run(argv: string[]): Promise<void> {
  let outdir: string;
  let quiet: boolean;
  try {
    const { values } = parseArgs({ args: argv, options: { outdir: { type: 'string' }, quiet: { type: 'boolean' } } });
    outdir = resolve(values.outdir ?? join(repoRoot, 'dist'));
    quiet = values.quiet ?? false;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
  const started = performance.now();
  // Built aside, then swapped in: a running `npm start` never reads a half-written tree.
  const next = `${outdir}.next-${process.pid}`;
  rmSync(next, { recursive: true, force: true });
  const files = sources();
  try {
    await stage(files, next);
  } catch (error) {
    rmSync(next, { recursive: true, force: true });
    throw error;
  }
  const old = `${outdir}.old-${process.pid}`;
  if (existsSync(outdir)) renameSync(outdir, old);
  renameSync(next, outdir);
  rmSync(old, { recursive: true, force: true });
  const ms = Math.round(performance.now() - started);
  // `npm start` builds --quiet: a start that fails then says so in one line, and nothing before it.
  if (!quiet)
    process.stderr.write(
      `matchq build: ${files.length} modules, the web bundles, Lua scripts and pages → ${relative(process.cwd(), outdir) || '.'} in ${ms} ms\n`,
    );
}

/** Writes the whole build into `next`. */
async function stage(files: string[], next: string): Promise<void> {
  await build({
    entryPoints: files.map((file) => join(repoRoot, file)),
    outdir: next,
    outbase: repoRoot,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  await build({ ...bundleOptions(join(next, 'services/producer/web-out')), write: true });
  for (const folder of COPIED) cpSync(join(repoRoot, folder), join(next, folder), { recursive: true });
  // The .js files are ES modules wherever the build sits, whatever package.json is above it.
  writeFileSync(join(next, 'package.json'), `${JSON.stringify({ type: 'module', private: true })}\n`);
}

await run(process.argv.slice(2)).catch((error: unknown) => exitOnStartError('build', error));
