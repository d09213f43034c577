import type { BuildOptions, OutputFile } from 'esbuild';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The lobby and the dashboard are TypeScript (web/), bundled by esbuild, with @matchq/client
 * and uPlot, into one script each. From the sources (tsx, the tests) the gateway builds them
 * in memory on the first request for one and keeps the result: no build step to forget, no
 * build output in the tree. `npm run build` writes the same bundles beside the built gateway
 * (web-out/), and a built gateway serves those: production runs no bundler.
 */
const web = (path: string) => fileURLToPath(new URL(`./web/${path}`, import.meta.url));
export const ENTRIES = { lobby: web('lobby/main.ts'), dashboard: web('dashboard/main.ts') };
/** Where the build puts the bundles; it exists only in the build. */
const BUILT = fileURLToPath(new URL('./web-out/', import.meta.url));

/** How both pages are bundled, into `outdir`: the same for the in-memory build and `npm run build`. */
export function bundleOptions(outdir: string) {
  return {
    entryPoints: ENTRIES,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    sourcemap: 'linked',
    outdir,
    logLevel: 'silent',
    legalComments: 'none',
  } satisfies BuildOptions;
}

export interface Bundle {
  name: string;
  contents: Uint8Array;
}

let built: Promise<Map<string, Bundle>> | undefined;

/** Both pages' scripts (and their source maps) by file name, `lobby.js`, `lobby.js.map`, ...: the build's, else bundled now. */
export async function buildBundles(): Promise<Map<string, Bundle>> {
  if (existsSync(BUILT)) return new Map(readdirSync(BUILT).map((name) => [name, { name, contents: readFileSync(join(BUILT, name)) }]));
  // Loaded only here: a built gateway never needs esbuild.
  const { build } = await import('esbuild');
  const result = await build({ ...bundleOptions(BUILT), write: false });
  return new Map(result.outputFiles.map((file: OutputFile) => [basename(file.path), { name: basename(file.path), contents: file.contents }]));
}

/** The bundle named `name` (`lobby.js`), built once per process; undefined for a name no page has. */
export async function bundle(name: string): Promise<Bundle | undefined> {
  built ??= buildBundles();
  try {
    return (await built).get(name);
  } catch (error) {
    // A failed build (a syntax error in web/) is tried again on the next request, after the fix.
    built = undefined;
    throw error;
  }
}
