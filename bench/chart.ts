/**
 * The run as an SVG chart, written by hand (no plotting library): latency p50/p99 against offered load
 * on a log scale with the p99 limit drawn in, and delivered messages/s against offered load.
 */
import { P99_LIMIT_MS } from './options.js';
import type { StepResult } from './pool.js';
import type { TargetName } from './targets.js';

interface Series {
  colour: string;
  dashed: boolean;
  points: [number, number][];
}

interface PanelSpec {
  left: number;
  title: string;
  yLabel: string;
  series: Series[];
  logY: boolean;
  /** A horizontal guide line (value, label). */
  guide?: [number, string];
}

const WIDTH = 1000;
const HEIGHT = 440;
const PANEL = { width: 400, height: 300, top: 70 };
const COLOURS: Record<TargetName, string> = { chorus: '#1f6fb4', baseline: '#8e5ab5', bare: '#e0701b', naive: '#6a9a3a' };

const escape = (text: string) => text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
const round = (n: number) => Math.round(n * 10) / 10;

/** 1-2-5 ticks covering [low, high] on a log scale. */
function logTicks(low: number, high: number): number[] {
  const ticks: number[] = [];
  for (let decade = 10 ** Math.floor(Math.log10(low)); decade <= high; decade *= 10) {
    for (const m of [1, 2, 5]) if (decade * m >= low && decade * m <= high) ticks.push(decade * m);
  }
  return ticks;
}

/** About five round ticks from 0 to `high`. */
function linearTicks(high: number): number[] {
  const raw = high / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  return Array.from({ length: Math.floor(high / step) + 1 }, (_, i) => i * step);
}

const format = (n: number) => (n >= 1000 ? `${round(n / 1000)}k` : `${round(n)}`);

function panel(spec: PanelSpec, xMax: number): string {
  const { width, height, top } = PANEL;
  const values = spec.series.flatMap((s) => s.points.map(([, y]) => y)).filter((y) => y > 0 && Number.isFinite(y));
  if (spec.guide) values.push(spec.guide[0]);
  const yMax = Math.max(...values, 1) * 1.15;
  const yMin = spec.logY ? Math.max(0.05, Math.min(...values) / 1.5) : 0;
  const x = (v: number) => spec.left + (v / xMax) * width;
  const y = spec.logY
    ? (v: number) => top + height - ((Math.log10(Math.max(v, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * height
    : (v: number) => top + height - (v / yMax) * height;
  const parts: string[] = [
    `<text x="${spec.left + width / 2}" y="${top - 14}" text-anchor="middle" font-weight="bold">${escape(spec.title)}</text>`,
    `<rect x="${spec.left}" y="${top}" width="${width}" height="${height}" fill="none" stroke="#999"/>`,
  ];
  for (const tick of spec.logY ? logTicks(yMin, yMax) : linearTicks(yMax)) {
    parts.push(
      `<line x1="${spec.left}" x2="${spec.left + width}" y1="${round(y(tick))}" y2="${round(y(tick))}" stroke="#eee"/>`,
      `<text x="${spec.left - 6}" y="${round(y(tick)) + 4}" text-anchor="end">${format(tick)}</text>`,
    );
  }
  for (const tick of linearTicks(xMax)) {
    parts.push(`<text x="${round(x(tick))}" y="${top + height + 16}" text-anchor="middle">${format(tick)}</text>`);
  }
  parts.push(
    `<text x="${spec.left + width / 2}" y="${top + height + 36}" text-anchor="middle">offered load (msg/s)</text>`,
    `<text transform="translate(${spec.left - 46} ${top + height / 2}) rotate(-90)" text-anchor="middle">${escape(spec.yLabel)}</text>`,
  );
  if (spec.guide) {
    const [value, label] = spec.guide;
    parts.push(
      `<line x1="${spec.left}" x2="${spec.left + width}" y1="${round(y(value))}" y2="${round(y(value))}" stroke="#c00" stroke-dasharray="2 3"/>`,
      `<text x="${spec.left + width - 4}" y="${round(y(value)) - 4}" text-anchor="end" fill="#c00">${escape(label)}</text>`,
    );
  }
  for (const s of spec.series) {
    const points = s.points.filter(([, v]) => Number.isFinite(v)).map(([px, py]) => `${round(x(px))},${round(y(py))}`);
    if (points.length === 0) continue;
    parts.push(
      `<polyline points="${points.join(' ')}" fill="none" stroke="${s.colour}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      ...points.map((p) => `<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="3" fill="${s.colour}"/>`),
    );
  }
  return parts.join('\n');
}

/** An SVG document for `steps`, titled `title`. */
export function renderChart(title: string, steps: readonly StepResult[]): string {
  const targets = [...new Set(steps.map((s) => s.target))];
  const byTarget = (target: TargetName, value: (s: StepResult) => number): [number, number][] =>
    steps
      .filter((s) => s.target === target)
      .sort((a, b) => a.offered - b.offered)
      .map((s) => [s.offered, value(s)]);
  const xMax = Math.max(...steps.map((s) => s.offered)) * 1.05;

  const latency = panel(
    {
      left: 80,
      title: 'latency, send to every member',
      yLabel: 'ms (log scale)',
      logY: true,
      guide: [P99_LIMIT_MS, `p99 limit ${P99_LIMIT_MS} ms`],
      series: targets.flatMap((t) => [
        { colour: COLOURS[t], dashed: false, points: byTarget(t, (s) => s.latencyMs.p99) },
        { colour: COLOURS[t], dashed: true, points: byTarget(t, (s) => s.latencyMs.p50) },
      ]),
    },
    xMax,
  );
  const throughput = panel(
    {
      left: 570,
      title: 'throughput',
      yLabel: 'delivered messages/s',
      logY: false,
      series: targets.map((t) => ({ colour: COLOURS[t], dashed: false, points: byTarget(t, (s) => s.deliveredPerSecond) })),
    },
    xMax,
  );
  const legend = targets.flatMap((t, i) => [
    `<line x1="${80 + i * 260}" x2="${110 + i * 260}" y1="${HEIGHT - 14}" y2="${HEIGHT - 14}" stroke="${COLOURS[t]}" stroke-width="2"/>`,
    `<text x="${116 + i * 260}" y="${HEIGHT - 10}">${t}: p99 solid, p50 dashed</text>`,
  ]);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escape(title)}</text>`,
    latency,
    throughput,
    ...legend,
    '</svg>',
    '',
  ].join('\n');
}
