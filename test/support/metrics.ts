/**
 * One series' value on a service's Prometheus `/metrics` (0 when absent): the first line of
 * `name` whose labels include every one of `labels` (the registry's default labels, service
 * and instance, need not be named).
 */
export async function metricValue(metricsUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await fetch(metricsUrl).then((res) => res.text());
  const wanted = Object.entries(labels).map(([label, value]) => `${label}="${value}"`);
  const line = text
    .split('\n')
    .find((row) => (row.startsWith(`${name}{`) || row.startsWith(`${name} `)) && wanted.every((pair) => row.slice(name.length).split(' ')[0]!.includes(pair)));
  return line ? Number(line.split(' ').at(-1)) : 0;
}
