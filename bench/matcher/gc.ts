/**
 * A way to collect garbage between measurements: `global.gc` when node runs with
 * --expose-gc, otherwise the flag is set at run time and gc taken from a fresh context
 * (the npm script starts plain tsx, and measurements without gc would be mostly noise).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
