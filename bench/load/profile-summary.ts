import { readFileSync } from 'node:fs';

/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): the top frames by self time, and self
 * time by package / file, so a profile can be read in a terminal and quoted in docs.
 * Usage: tsx bench/load/profile-summary.ts FILE.cpuprofile [TOP]
 */
interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export function summarise(profile: Profile, top = 25): string {
  const self = new Map<number, number>();
  profile.samples.forEach((id, index) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFrame = new Map<string, number>();
  const byPlace = new Map<string, number>();
  for (const node of profile.nodes) {
    const time = self.get(node.id) ?? 0;
    if (!time) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url
      .replace(/^file:\/\//, '')
      .replace(/^.*\/node_modules\//, 'npm:')
      .replace(/^\/work\/[^/]+\//, '');
    const frame = `${functionName || '(anonymous)'}  ${file ? `${file}:${lineNumber + 1}` : ''}`;
    byFrame.set(frame, (byFrame.get(frame) ?? 0) + time);
    const place = !file
      ? functionName
      : file.startsWith('npm:')
        ? file
            .split('/')
            .slice(0, file.startsWith('npm:@') ? 2 : 1)
            .join('/')
        : file.startsWith('node:')
          ? 'node:' + file.slice(5).split('/')[0]
          : file;
    byPlace.set(place, (byPlace.get(place) ?? 0) + time);
  }
  const wall = (profile.endTime - profile.startTime) / 1e6;
  const idle = byFrame.get('(idle)  ') ?? 0;
  const lines = [`wall ${wall.toFixed(1)} s, busy ${((total - idle) / 1e6).toFixed(1)} s (${Math.round(((total - idle) / total) * 100)}% of samples)`];
  const table = (title: string, map: Map<string, number>) => {
    lines.push(title);
    for (const [key, time] of [...map]
      .filter(([key]) => !key.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)) {
      lines.push(`  ${((time / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
    }
  };
  table('top frames by self time:', byFrame);
  table('self time by package / file:', byPlace);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: tsx bench/load/profile-summary.ts FILE.cpuprofile [TOP]\n');
    process.exit(1);
  }
  process.stdout.write(`${summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(top ?? 25))}\n`);
}
