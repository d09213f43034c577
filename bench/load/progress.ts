import type { Progress } from './generator.js';

/** A progress bar on stderr: redrawn in place on a terminal, a line every 5 s otherwise. */
export function progressBar(stream: NodeJS.WriteStream = process.stderr) {
  let lastLine = 0;
  let drawn = false;
  return {
    update(progress: Progress): void {
      const fraction = progress.total > 0 ? Math.min(1, progress.done / progress.total) : 0;
      const width = 24;
      const filled = Math.round(fraction * width);
      const unit = progress.phase === 'run' ? ' s' : progress.phase === 'drain' ? ' ms' : '';
      const line =
        `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${progress.phase} ${progress.done}/${progress.total}${unit}` +
        `  joins ${progress.joins}  matched ${progress.matched}  waiting ${progress.waiting}  errors ${progress.errors}`;
      if (stream.isTTY) {
        stream.write(`\r${line.padEnd(110)}`);
        drawn = true;
      } else if (Date.now() - lastLine >= 5000) {
        lastLine = Date.now();
        stream.write(`${line}\n`);
      }
    },
    done(): void {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}
