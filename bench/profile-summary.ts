/**
 * `npm run bench:profile -- FILE.cpuprofile [--top N] [--from S] [--to S]`: where a server's main thread
 * spent its time, from a V8 CPU profile (`npm run bench -- --cpu-prof DIR` writes one per server). Prints
 * the functions with the most self time, then the time spent inside each package and each Chorus module
 * (inclusive: a module's callees count towards it). `--from`/`--to` keep only the samples between those
 * seconds after the profile started, e.g. one step of a run.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** `pkg:name` for a dependency, `src/…` for Chorus's own code (compiled or not), undefined for Node's. */
function moduleOf(url: string): string | undefined {
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return `pkg:${dependency[1]}`;
  const own = /\/(?:dist|src)\/(.+)\.[jt]s$/.exec(url);
  return own ? `src/${own[1]}` : undefined;
}

function describeFrame({ functionName, url, lineNumber }: ProfileNode['callFrame']): string {
  const file = url.includes('node_modules/') ? url.replace(/^.*node_modules\//, '') : url.replace(/^.*\/(dist|src)\//, '$1/');
  const where = url ? ` ${file}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'}${where}`;
}

function summarise(profile: CpuProfile, fromUs: number, toUs: number) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);

  // Microseconds per sampled node, within the window.
  const sampled = new Map<number, number>();
  let elapsed = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    elapsed += delta;
    if (elapsed >= fromUs && elapsed <= toUs) sampled.set(id, (sampled.get(id) ?? 0) + delta);
  });

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  for (const [id, time] of sampled) {
    total += time;
    const frame = describeFrame(nodes.get(id)!.callFrame);
    self.set(frame, (self.get(frame) ?? 0) + time);
    // Each module once per sample, however deep it recurses.
    const modules = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const module = moduleOf(nodes.get(at)!.callFrame.url);
      if (module) modules.add(module);
    }
    for (const module of modules) inclusive.set(module, (inclusive.get(module) ?? 0) + time);
  }
  return { total, self, inclusive };
}

function table(times: Map<string, number>, total: number, top: number): string {
  return [...times]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, time]) => `${((100 * time) / total).toFixed(1).padStart(6)} %  ${name}`)
    .join('\n');
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' }, from: { type: 'string', default: '0' }, to: { type: 'string' } },
});
const file = positionals[0];
if (!file) {
  console.error('usage: npm run bench:profile -- FILE.cpuprofile [--top N] [--from S] [--to S]');
  process.exit(64);
}
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
const top = Number(values.top);
const { total, self, inclusive } = summarise(profile, Number(values.from) * 1e6, values.to === undefined ? Infinity : Number(values.to) * 1e6);
process.stdout.write(
  `${(total / 1e6).toFixed(1)} s of samples (idle included)\n\nself time\n${table(self, total, top)}\n\n` +
    `inclusive, per package and Chorus module\n${table(inclusive, total, top)}\n`,
);
