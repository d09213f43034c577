// The dashboard's charts, drawn by uPlot (bundled from npm): step lines of pool sizes over time,
// and bars for rooms per minute and the two distributions. Colours come from the page's CSS
// custom properties, read again when the colour scheme changes.
import uPlot from 'uplot';
import { formatCount, labelledBars, niceMax, timeLabel, timeTicks, type PoolSeries } from './figures.js';

interface Theme {
  text: string;
  muted: string;
  grid: string;
  border: string;
  primary: string;
  series: string[];
  font: string;
}

const SERIES = 6;

function readTheme(): Theme {
  const css = getComputedStyle(document.documentElement);
  const value = (name: string) => css.getPropertyValue(name).trim();
  return {
    text: value('--text'),
    muted: value('--muted'),
    grid: value('--grid'),
    border: value('--border'),
    primary: value('--primary'),
    series: Array.from({ length: SERIES }, (_, index) => value(`--series-${index}`)),
    font: getComputedStyle(document.body).fontFamily,
  };
}

let theme = readTheme();
const charts = new Set<{ rebuild: () => void }>();
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
  theme = readTheme();
  for (const chart of charts) chart.rebuild();
});

function axis(values: uPlot.Axis['values'], splits: uPlot.Axis['splits'], size: number): uPlot.Axis {
  return {
    stroke: theme.muted,
    font: `11px ${theme.font}`,
    size,
    gap: 4,
    values,
    splits,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { show: false },
    border: { show: true, stroke: theme.border, width: 1 },
  };
}

/** Four even ticks from 0 to the scale's (nice) top. */
const quarterSplits: uPlot.Axis['splits'] = (_u, _axis, min, max) => [0, 1, 2, 3, 4].map((step) => min + ((max - min) / 4) * step);
const countValues: uPlot.Axis['values'] = (_u, splits) => splits.map(formatCount);

/**
 * A chart in `container`, at its CSS size, redrawn when that changes. `make` builds the
 * uPlot options; `data` is what it draws now.
 */
function mount(container: HTMLElement, make: (width: number, height: number) => uPlot.Options) {
  let plot: uPlot | undefined;
  let data: uPlot.AlignedData | undefined;
  const size = () => ({ width: Math.max(200, container.clientWidth), height: Math.max(120, container.clientHeight) });
  const chart = {
    /** Draws `next`; with `rebuild` (or the first time), in a new uPlot from fresh options. */
    set(next: uPlot.AlignedData, rebuild = false) {
      data = next;
      if (plot && !rebuild) plot.setData(next);
      else chart.rebuild();
    },
    rebuild() {
      plot?.destroy();
      if (!data) return;
      const { width, height } = size();
      plot = new uPlot(make(width, height), data, container);
    },
  };
  new ResizeObserver(() => plot?.setSize(size())).observe(container);
  charts.add(chart);
  return chart;
}

/** Step lines, one per pool, from `spanS` seconds back to now. */
export function poolChart(container: HTMLElement) {
  let pools: string[] = [];
  let colors: string[] = [];
  let spanS = 60;
  /** The pools with a line on the chart, for the page's tests and tools (`data-series`). */
  let drawnPools: string[] = [];
  const chart = mount(container, (width, height) => ({
    width,
    height,
    legend: { show: false },
    cursor: { show: false },
    scales: { x: { time: false, range: () => [-spanS, 0] }, y: { range: (_u, _min, max) => [0, niceMax(max)] } },
    axes: [
      axis(
        (_u, splits) => splits.map(timeLabel),
        () => timeTicks(spanS),
        24,
      ),
      axis(countValues, quarterSplits, 36),
    ],
    series: [
      {},
      ...pools.map((pool, index) => ({
        label: pool,
        stroke: colors[index] ?? theme.primary,
        width: 2.25,
        paths: uPlot.paths.stepped!({ align: 1 }),
        points: { show: false },
      })),
    ],
    hooks: {
      draw: [
        () => {
          container.dataset.series = drawnPools.join(' ');
        },
      ],
    },
  }));
  return {
    /** `colorOf` gives each pool's CSS colour variable, the legend's. */
    update(series: PoolSeries, colorOf: (pool: string) => string) {
      spanS = series.spanS;
      drawnPools = series.sizes.filter(({ values }) => values.some((value) => value !== null)).map(({ pool }) => pool);
      const names = series.sizes.map(({ pool }) => pool);
      const nextColors = names.map((pool) => resolveColor(colorOf(pool)));
      const changed = names.join() !== pools.join() || nextColors.join() !== colors.join();
      pools = names;
      colors = nextColors;
      chart.set([series.x, ...series.sizes.map(({ values }) => values)], changed);
    },
  };
}

/** `var(--series-2)` → its colour now. */
function resolveColor(cssColor: string): string {
  const match = /^var\((--[\w-]+)\)$/.exec(cssColor);
  if (!match) return cssColor;
  const index = Number(match[1]!.replace('--series-', ''));
  return theme.series[index] ?? theme.primary;
}

export interface BarOptions {
  /** Draw the last bar lighter: a bucket still filling. */
  highlightLast?: boolean;
}

/** Bars with their count above each, a label under every bar that fits. */
export function barChart(container: HTMLElement, { highlightLast = false }: BarOptions = {}) {
  let labels: string[] = [];
  const valueLabels = (u: uPlot) => {
    const ctx = u.ctx;
    const ratio = uPlot.pxRatio;
    ctx.save();
    ctx.fillStyle = theme.text;
    ctx.font = `650 ${Math.round(11 * ratio)}px ${theme.font}`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'bottom';
    const values = (u.data[1] ?? []).map((value, index) => value ?? u.data[2]?.[index] ?? 0);
    values.forEach((value, index) => {
      if (!value) return;
      ctx.fillText(String(value), u.valToPos(index, 'x', true), u.valToPos(value, 'y', true) - 4 * ratio);
    });
    ctx.restore();
    container.dataset.bars = String(values.filter((value) => value > 0).length);
  };
  const bars = () => uPlot.paths.bars!({ size: [0.68, 48], radius: [0.15, 0] });
  const chart = mount(container, (width, height) => ({
    width,
    height,
    legend: { show: false },
    cursor: { show: false },
    scales: { x: { time: false, range: () => [-0.5, labels.length - 0.5] }, y: { range: (_u, _min, max) => [0, niceMax(max)] } },
    axes: [
      axis(
        (_u, splits) => splits.map((index) => labels[index] ?? ''),
        (u) => labelledBars(labels.length, Math.floor(u.bbox.width / uPlot.pxRatio / 48)),
        24,
      ),
      axis(countValues, quarterSplits, 36),
    ],
    series: [
      {},
      { fill: theme.primary, stroke: theme.primary, paths: bars(), points: { show: false } },
      { fill: theme.primary, stroke: theme.primary, alpha: 0.5, paths: bars(), points: { show: false } },
    ],
    hooks: { draw: [valueLabels] },
  }));
  return {
    update(nextLabels: string[], values: number[]) {
      labels = nextLabels;
      const x = values.map((_, index) => index);
      const last = values.length - 1;
      // The bucket still filling is a series of its own, to draw it lighter; an empty bucket has no bar at all.
      const settled = values.map((value, index) => (value === 0 || (highlightLast && index === last) ? null : value));
      const filling = values.map((value, index) => (value !== 0 && highlightLast && index === last ? value : null));
      chart.set([x, settled, filling]);
    },
  };
}

/** Lines over labelled buckets (minutes), one per series, with a point on each bucket; `data-series` names those with a count. */
export function linesChart(container: HTMLElement) {
  let labels: string[] = [];
  let colors: string[] = [];
  let names: string[] = [];
  let drawn: string[] = [];
  const chart = mount(container, (width, height) => ({
    width,
    height,
    legend: { show: false },
    cursor: { show: false },
    scales: { x: { time: false, range: () => [-0.3, Math.max(1, labels.length - 1) + 0.3] }, y: { range: (_u, _min, max) => [0, niceMax(max)] } },
    axes: [
      axis(
        (_u, splits) => splits.map((index) => labels[index] ?? ''),
        (u) => labelledBars(labels.length, Math.floor(u.bbox.width / uPlot.pxRatio / 56)),
        24,
      ),
      axis(countValues, quarterSplits, 36),
    ],
    series: [
      {},
      ...names.map((name, index) => ({
        label: name,
        stroke: colors[index] ?? theme.primary,
        width: 2.25,
        points: { show: true, size: 6, fill: colors[index] ?? theme.primary },
      })),
    ],
    hooks: {
      draw: [
        () => {
          container.dataset.series = drawn.join(' ');
        },
      ],
    },
  }));
  return {
    /** `series[i].color` is a CSS colour variable (`var(--series-2)`). */
    update(nextLabels: string[], series: { key: string; color: string; values: number[] }[]) {
      labels = nextLabels;
      drawn = series.filter(({ values }) => values.some((value) => value > 0)).map(({ key }) => key);
      const nextNames = series.map(({ key }) => key);
      const nextColors = series.map(({ color }) => resolveColor(color));
      const changed = nextNames.join() !== names.join() || nextColors.join() !== colors.join();
      names = nextNames;
      colors = nextColors;
      chart.set([nextLabels.map((_, index) => index), ...series.map(({ values }) => values)], changed);
    },
  };
}
