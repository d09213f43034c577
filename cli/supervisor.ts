import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ChildSpec {
  name: string;
  script: string;
  env?: NodeJS.ProcessEnv;
}

const root = fileURLToPath(new URL('..', import.meta.url));
const MAX_BACKOFF_MS = 30_000;
/** A child that ran this long is considered healthy again: its next crash restarts at once. */
const STABLE_AFTER_MS = 60_000;
const STOP_GRACE_MS = 10_000;

/**
 * Runs each service as a child process, restarts one that crashes (with backoff), and on
 * stop sends SIGTERM to all, waiting for each to finish its graceful shutdown.
 */
export function supervise(specs: ChildSpec[], log: (line: string) => void) {
  const children = new Map<string, ChildProcess>();
  let stopping = false;

  function launch(spec: ChildSpec, backoffMs: number): void {
    // A restart scheduled before stop() must not bring a child back after it.
    if (stopping) return;
    const startedAt = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', spec.script], { cwd: root, env: { ...process.env, ...spec.env }, stdio: 'inherit' });
    children.set(spec.name, child);
    child.on('exit', (code, signal) => {
      children.delete(spec.name);
      if (stopping) return;
      const ranFor = Date.now() - startedAt;
      const delay = ranFor > STABLE_AFTER_MS ? 0 : backoffMs;
      log(`${spec.name} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`);
      setTimeout(() => launch(spec, Math.min(MAX_BACKOFF_MS, Math.max(1000, backoffMs * 2))), delay);
    });
  }

  for (const spec of specs) launch(spec, 1000);

  return {
    children,
    async stop(): Promise<void> {
      stopping = true;
      await Promise.all(
        [...children.values()].map(
          (child) =>
            new Promise<void>((resolve) => {
              const force = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
              child.once('exit', () => {
                clearTimeout(force);
                resolve();
              });
              child.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
