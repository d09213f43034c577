import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): the top frames by self time, and self
 * time by package / file, so a profile can be read in a terminal and quoted in docs.
 * Usage: tsx bench/load/profile-summary.ts FILE.cpuprofile [TOP], or a run's --profile DIR for
 * the top frames of each process.
 */
interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Self time (µs) by frame (`name  file:line`) and by package / file, over every sample. */
function selfTimes(profile: Profile) {
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
  const idle = byFrame.get('(idle)  ') ?? 0;
  return { total, busy: total - idle, byFrame, byPlace };
}

/** The `top` keys by time, idle left out, each with its share of all samples (percent, one decimal). */
function ranked(map: Map<string, number>, total: number, top: number): { share: number; frame: string }[] {
  return [...map]
    .filter(([key]) => !key.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([frame, time]) => ({ share: Math.round((time / total) * 1000) / 10, frame }));
}

export function summarise(profile: Profile, top = 25): string {
  const { total, busy, byFrame, byPlace } = selfTimes(profile);
  const wall = (profile.endTime - profile.startTime) / 1e6;
  const lines = [`wall ${wall.toFixed(1)} s, busy ${(busy / 1e6).toFixed(1)} s (${Math.round((busy / total) * 100)}% of samples)`];
  const table = (title: string, map: Map<string, number>) => {
    lines.push(title);
    for (const { share, frame } of ranked(map, total, top)) lines.push(`  ${share.toFixed(1).padStart(5)}%  ${frame}`);
  };
  table('top frames by self time:', byFrame);
  table('self time by package / file:', byPlace);
  return lines.join('\n');
}

/** One process's profile, reduced to what a bench report keeps: its busy time and its top frames. */
export interface ProcessProfile {
  process: string;
  file: string;
  busySeconds: number;
  /** Busy share of the samples, percent. */
  busyShare: number;
  topFrames: { share: number; frame: string }[];
}

/**
 * The top frames of each process profiled under `dir` (one folder per process, as the own stack
 * writes them). A process under tsx writes a second profile for its loader thread, nearly idle:
 * the busiest profile of a folder is its main thread. Only profiles written at or after `sinceMs`
 * count, so a folder used by an earlier run does not mix its profiles in.
 */
export function profilesByProcess(dir: string, top = 10, sinceMs = 0): ProcessProfile[] {
  const processes = readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory());
  return processes.flatMap(({ name }) => {
    const files = readdirSync(join(dir, name)).filter((file) => file.endsWith('.cpuprofile') && statSync(join(dir, name, file)).mtimeMs >= sinceMs);
    const read = files.map((file) => ({ file: join(dir, name, file), times: selfTimes(JSON.parse(readFileSync(join(dir, name, file), 'utf8')) as Profile) }));
    const main = read.sort((a, b) => b.times.busy - a.times.busy)[0];
    if (!main) return [];
    const { total, busy, byFrame } = main.times;
    return [
      {
        process: name,
        file: main.file,
        busySeconds: Math.round(busy / 1e5) / 10,
        busyShare: total ? Math.round((busy / total) * 100) : 0,
        topFrames: ranked(byFrame, total, top),
      },
    ];
  });
}

/** Each process's top frames as text, the busiest process first. */
export function describeProfiles(profiles: ProcessProfile[]): string {
  return [...profiles]
    .sort((a, b) => b.busySeconds - a.busySeconds)
    .map((profile) =>
      [
        `${profile.process}: busy ${profile.busySeconds} s (${profile.busyShare}% of samples), ${profile.file}`,
        ...profile.topFrames.map(({ share, frame }) => `  ${share.toFixed(1).padStart(5)}%  ${frame}`),
      ].join('\n'),
    )
    .join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: tsx bench/load/profile-summary.ts FILE.cpuprofile|DIR [TOP]\n');
    process.exit(1);
  }
  // A folder is a run's --profile DIR: each process's top frames; a file, one profile in full.
  const text = statSync(file).isDirectory()
    ? describeProfiles(profilesByProcess(file, Number(top ?? 10)))
    : summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(top ?? 25));
  process.stdout.write(`${text}\n`);
}
