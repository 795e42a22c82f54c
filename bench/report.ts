/**
 * What a run prints and keeps: a table of steps, each target's knee and Chorus's ratios to the two
 * peers, Chorus's CPU per message beyond its deliveries, how the fresh servers did while warming up,
 * and the same as JSON beside an SVG chart.
 */
import fs from 'node:fs';
import path from 'node:path';
import { renderChart } from './chart.js';
import { P99_LIMIT_MS, type BenchOptions } from './options.js';
import type { StepResult } from './pool.js';
import type { Knee } from './search.js';
import type { TargetName } from './targets.js';

export interface RunResult {
  runId: string;
  startedAt: string;
  options: BenchOptions;
  environment: { node: string; cpus: number; loadAverage: number[]; pinned: boolean };
  targets: Record<TargetName, string>;
  idleBytesPerConnection: Record<TargetName, number>;
  knees: Record<TargetName, Knee>;
  /** Chorus's knee over each peer's; undefined when either failed from the first step. */
  kneeRatios: Partial<Record<Peer, number | undefined>>;
  /** Each target's warm-up (--warmup), measured like a step: a slow start shows here. */
  warmUps: Record<TargetName, StepResult | undefined>;
  steps: StepResult[];
}

type Peer = Exclude<TargetName, 'chorus'>;
const PEERS: readonly Peer[] = ['baseline', 'bare', 'naive'];

/** Above this, the generator's own CPU may be what limits a step. */
const GENERATOR_BUSY_PERCENT = 90;
/** Below this many clients, memory per connection is mostly noise. */
const FEW_CLIENTS = 500;
/** Above this, the generator's event loop ran late enough to show in the latencies it measured. */
const GENERATOR_LAG_MS = 20;

const fixed = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/** Chorus's knee over each peer's that ran (the baseline only with --baseline). */
export function kneeRatios(knees: Partial<Record<TargetName, Knee>>): Partial<Record<Peer, number | undefined>> {
  const ratio = (peer: Peer) => (knees.chorus?.rate && knees[peer]?.rate ? knees.chorus.rate / knees[peer].rate : undefined);
  return Object.fromEntries(PEERS.filter((peer) => knees[peer]).map((peer) => [peer, ratio(peer)]));
}

function describeRatio(knees: Record<TargetName, Knee>, peer: Peer): string {
  const ratio = kneeRatios(knees)[peer];
  if (ratio === undefined) return '- (a target failed from the first step: start lower with --rate)';
  const bracketed = knees.chorus.failedAt !== undefined && knees[peer]?.failedAt !== undefined;
  return `${fixed(ratio, 2)}x${bracketed ? '' : ' (a knee lies past the highest rate tried: an estimate only)'}`;
}

/**
 * At each rate both ran: Chorus's CPU per message less its deliveries, each costed at what one costs
 * bare Socket.IO at that rate (whose messages cost little beyond their deliveries), i.e. what Chorus
 * spends on a message itself — sign-in state, validation, the append, the ack, the sequencer, the
 * broker; and its CPU per delivery over bare's.
 */
export function perMessageCosts(steps: readonly StepResult[]): { rate: number; beyondDeliveriesUs: number; perDeliveryRatio: number }[] {
  const chorus = steps.filter((s) => s.target === 'chorus');
  return chorus.flatMap((c) => {
    const bare = steps.find((s) => s.target === 'bare' && s.offered === c.offered);
    if (!bare || c.sentPerSecond === 0) return [];
    const deliveriesPerMessage = c.deliveredPerSecond / c.sentPerSecond;
    return [{ rate: c.offered, beyondDeliveriesUs: c.serverCpuPerMessageUs - deliveriesPerMessage * bare.serverCpuPerDeliveryUs, perDeliveryRatio: c.serverCpuPerDeliveryUs / bare.serverCpuPerDeliveryUs }];
  });
}

function describeWarmUp(warmUp: StepResult | undefined): string {
  if (!warmUp) return 'none (--warmup 0)';
  return `p50 ${fixed(warmUp.latencyMs.p50, 1)} ms, p99 ${fixed(warmUp.latencyMs.p99, 1)} ms, max ${fixed(warmUp.latencyMs.max, 1)} ms at ${warmUp.offered} msg/s, ${warmUp.lost} lost`;
}

function describeKnee(knee: Knee, firstRate: number): string {
  if (knee.rate === undefined) return `below ${firstRate} msg/s (the first step failed)`;
  if (knee.failedAt === undefined) return `${knee.rate} msg/s or more (no step failed)`;
  return `${knee.rate} msg/s (failed at ${knee.failedAt})`;
}

/** The report as text for the console. */
export function formatReport(result: RunResult): string {
  const header = ['target', 'offered', 'sent/s', 'deliv/s', 'p50', 'p90', 'p99', 'max', 'lost', 'dup', 'refused', 'cpu s', 'µs/deliv', 'gen cpu', 'pass'];
  const rows = result.steps.map((s) => [
    s.target,
    String(s.offered),
    fixed(s.sentPerSecond),
    fixed(s.deliveredPerSecond),
    fixed(s.latencyMs.p50, 1),
    fixed(s.latencyMs.p90, 1),
    fixed(s.latencyMs.p99, 1),
    fixed(s.latencyMs.max, 1),
    String(s.lost),
    String(s.duplicated),
    Object.entries(s.refused).map(([code, n]) => `${code}:${n}`).join(' ') || '0',
    fixed(s.serverCpuSeconds, 2),
    fixed(s.serverCpuPerDeliveryUs, 1),
    `${fixed(s.generatorCpuPercent)}%`,
    s.passed ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const firstRate = result.options.rates?.[0] ?? result.options.rate;
  const memory = result.idleBytesPerConnection;
  const targets = Object.keys(result.targets) as TargetName[];
  const out = [
    '',
    ...targets.map((t) => `${`${t}:`.padEnd(10)}${result.targets[t]}`),
    `${result.options.clients} clients in ${result.options.rooms} rooms, ${result.options.payload}-character messages, ${result.options.client} client, ` +
      `${result.options.duration} s measured per step after a ${result.options.ramp} s ramp; latency in ms, send to every member`,
    '',
    line(header),
    ...rows.map(line),
    '',
    `knee (p99 < ${P99_LIMIT_MS} ms, nothing lost):`,
    ...targets.map((t) => `  ${t.padEnd(8)} ${describeKnee(result.knees[t], firstRate)}`),
    ...PEERS.filter((peer) => result.knees[peer]).map((peer) => `  chorus/${peer.padEnd(8)} ${describeRatio(result.knees, peer)}`),
    'chorus CPU per message beyond its deliveries (costed at bare\'s CPU per delivery), and CPU per delivery over bare\'s:',
    ...perMessageCosts(result.steps).map((c) => `  at ${String(c.rate).padStart(5)} msg/s: ${fixed(c.beyondDeliveriesUs, 1)} µs, per delivery ${fixed(c.perDeliveryRatio, 2)}x`),
    'warm-up of each fresh server (a slow start shows here):',
    ...targets.map((t) => `  ${t.padEnd(8)} ${describeWarmUp(result.warmUps[t])}`),
    `memory per idle connection: ${targets.map((t) => `${t} ${fixed(memory[t] / 1024, 1)} KiB`).join(', ')}, ` +
      `chorus/bare ${fixed(memory.chorus / memory.bare, 2)}x` +
      (result.options.clients < FEW_CLIENTS ? ` (only ${result.options.clients} clients: heap growth swamps the per-connection cost)` : ''),
  ];
  const busy = result.steps.filter((s) => s.generatorCpuPercent > GENERATOR_BUSY_PERCENT);
  if (busy.length > 0) {
    out.push(`warning: the generator used over ${GENERATOR_BUSY_PERCENT}% of its core in ${busy.length} step(s): those may measure the generator, not the server`);
  }
  const lagging = result.steps.filter((s) => s.generatorLoopDelayP99Ms > GENERATOR_LAG_MS);
  if (lagging.length > 0) {
    const worst = Math.max(...lagging.map((s) => s.generatorLoopDelayP99Ms));
    out.push(`warning: the generator's event loop lagged over ${GENERATOR_LAG_MS} ms (p99, worst ${fixed(worst)} ms) in ${lagging.length} step(s): their latencies include it (a busy machine?)`);
  }
  if (!result.environment.pinned) out.push('warning: generator and servers were not pinned to separate cores (no taskset, or one core)');
  return out.join('\n');
}

/** Writes `<out>/<stamp>-<runId>.json` and `.svg`; returns both paths. */
export function writeResult(result: RunResult): { json: string; svg: string } {
  fs.mkdirSync(result.options.out, { recursive: true });
  const base = path.join(result.options.out, `${result.startedAt.replace(/[:.]/g, '-')}-${result.runId}`);
  const json = `${base}.json`;
  const svg = `${base}.svg`;
  fs.writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
  const title = `${result.targets.chorus} vs bare Socket.IO and a naive durable peer: ${result.options.clients} clients, ${result.options.rooms} rooms, ${result.options.payload} B`;
  fs.writeFileSync(svg, renderChart(title, result.steps));
  return { json, svg };
}
