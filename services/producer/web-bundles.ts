import { build, type OutputFile } from 'esbuild';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The lobby and the dashboard are TypeScript (web/), bundled by esbuild, with @matchq/client
 * and uPlot, into one script each. The gateway builds them in memory on the first request for
 * one and keeps the result: no build step to forget, no build output in the tree, and the
 * same bundle under `npm start`, in the tests and in the image. Building both takes well
 * under a second.
 */
const web = (path: string) => fileURLToPath(new URL(`./web/${path}`, import.meta.url));
export const ENTRIES = { lobby: web('lobby/main.ts'), dashboard: web('dashboard/main.ts') };

export interface Bundle {
  name: string;
  contents: Uint8Array;
}

let built: Promise<Map<string, Bundle>> | undefined;

/** Builds both pages' scripts (and their source maps); the outputs by file name, `lobby.js`, `lobby.js.map`, ... */
export async function buildBundles(): Promise<Map<string, Bundle>> {
  const result = await build({
    entryPoints: ENTRIES,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    sourcemap: 'linked',
    outdir: fileURLToPath(new URL('./web-out/', import.meta.url)),
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
  });
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
