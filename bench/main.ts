/**
 * `npm run bench`: loads Chorus, a bare Socket.IO room server and a naive durable peer (bare plus a
 * synchronous SQLite insert per message) with the same scenario, in turns,
 * stepping the offered rate up to find each one's knee, and reports throughput, latency, loss, server
 * CPU and memory, with a JSON result and an SVG chart in bench/results/. `--help` lists the knobs.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { parseOptions, type BenchOptions } from './options.js';
import { ClientPool, type StepResult } from './pool.js';
import { pin } from './processes.js';
import { formatReport, kneeRatios, writeResult, type RunResult } from './report.js';
import { findKnees } from './search.js';
import { startBare, startChorus, startNaive, type Target, type TargetName } from './targets.js';


async function main(options: BenchOptions): Promise<void> {
  const runId = randomBytes(4).toString('hex').slice(0, 6);
  const startedAt = new Date().toISOString();
  const pinned = pin(process.pid, options.clientCpus) && options.serverCpus !== '';

  const targets = new Map<TargetName, Target>();
  const pools = new Map<TargetName, ClientPool>();
  const cleanup = async () => {
    for (const pool of pools.values()) pool.close();
    await Promise.all([...targets.values()].map((t) => t.stop()));
  };
  process.once('SIGINT', () => {
    void cleanup().finally(() => process.exit(130));
  });

  const names: readonly TargetName[] = options.baseline ? ['chorus', 'baseline', 'bare', 'naive'] : ['chorus', 'bare', 'naive'];
  /** Each target's value of `of`, as the report keeps them. */
  const perTarget = <T>(of: (name: TargetName) => T) => Object.fromEntries(names.map((name) => [name, of(name)])) as Record<TargetName, T>;
  try {
    targets.set('chorus', await startChorus(options, runId));
    if (options.baseline) targets.set('baseline', await startChorus(options, runId, options.baseline));
    targets.set('bare', await startBare(options));
    targets.set('naive', await startNaive(options));
    for (const name of names) pools.set(name, await ClientPool.connect(targets.get(name)!, options, runId));
    const warmUps = new Map<TargetName, StepResult | undefined>();
    for (const [name, pool] of pools) warmUps.set(name, await pool.warmUp(options.rates?.[0] ?? options.rate, options));

    const { steps, knees } = await findKnees(options, names, (target, rate) => pools.get(target)!.runStep(rate, options));
    const result: RunResult = {
      runId,
      startedAt,
      options,
      // os.cpus(), not availableParallelism(): this process is pinned to the generator's CPUs by now.
      environment: { node: process.version, cpus: os.cpus().length, loadAverage: os.loadavg(), pinned },
      targets: perTarget((name) => targets.get(name)!.description),
      idleBytesPerConnection: perTarget((name) => pools.get(name)!.idleBytesPerConnection),
      knees,
      kneeRatios: kneeRatios(knees),
      warmUps: perTarget((name) => warmUps.get(name)),
      steps,
    };
    process.stdout.write(`${formatReport(result)}\n`);
    const files = writeResult(result);
    process.stdout.write(`\nwrote ${files.json}\n      ${files.svg}\n`);
  } finally {
    await cleanup();
  }
}

let options: BenchOptions;
try {
  options = parseOptions(process.argv.slice(2));
} catch (err) {
  console.error(`bench: ${(err as Error).message} (see --help)`);
  process.exit(64); // EX_USAGE
}
main(options).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('bench failed:', err);
    process.exit(1);
  },
);
