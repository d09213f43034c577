import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the running code lives. Under tsx it is the TypeScript of the repository; from the
 * build (`npm run build`) it is plain JavaScript in dist/, the same tree one folder down. Code
 * that starts a script of its own, or keeps files beside the repository, asks here instead of
 * guessing from its own path.
 */

/** True when this process runs the build, plain JavaScript, with no TypeScript loader. */
export const fromBuild = !import.meta.url.endsWith('.ts');

/** The tree the running code is in: the repository, or its build folder. */
export const codeRoot = fileURLToPath(new URL('..', import.meta.url));

/** The repository (package.json, var/, a relative MATCH_CONFIG): the build folder's parent. */
export const repoRoot = fromBuild ? resolve(codeRoot, '..') : codeRoot;

/**
 * How node starts a repository script (`services/matcher/main.ts`, as written in the source):
 * its built `.js` with no loader, or the TypeScript under tsx.
 */
export function nodeArgsFor(script: string): string[] {
  return fromBuild ? [resolve(codeRoot, script.replace(/\.ts$/, '.js'))] : ['--import', 'tsx', resolve(codeRoot, script)];
}
