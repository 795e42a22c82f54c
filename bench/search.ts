/**
 * Finds each target's knee: the highest offered rate at which a step passes (p99 under the limit, no
 * loss). Rates step up geometrically until a target fails, then bisect between its last pass and first
 * failure. At every rate the targets take turns, in an order that alternates from one rate to the
 * next, so drift in a noisy machine falls on both alike.
 */
import type { BenchOptions } from './options.js';
import type { StepResult } from './pool.js';
import type { TargetName } from './targets.js';

export interface Knee {
  /** Highest passing rate; undefined when even the first failed. */
  rate: number | undefined;
  /** Lowest failing rate; undefined when none failed (the knee lies at or past the highest rate tried). */
  failedAt: number | undefined;
}

export type RunStep = (target: TargetName, rate: number) => Promise<StepResult>;

/** The knee `steps` show: the highest rate below every failing one that passed. */
function kneeOf(steps: readonly StepResult[]): Knee {
  const failures = steps.filter((s) => !s.passed).map((s) => s.offered);
  const failedAt = failures.length > 0 ? Math.min(...failures) : undefined;
  const passes = steps.filter((s) => s.passed && (failedAt === undefined || s.offered < failedAt)).map((s) => s.offered);
  return { rate: passes.length > 0 ? Math.max(...passes) : undefined, failedAt };
}

export async function findKnees(options: BenchOptions, targets: readonly TargetName[], run: RunStep): Promise<{ steps: StepResult[]; knees: Record<TargetName, Knee> }> {
  const steps: StepResult[] = [];
  const knee = (target: TargetName) => kneeOf(steps.filter((s) => s.target === target));
  let turn = 0;
  /** Runs each target that `rateFor` gives a rate, in alternating order. */
  const round = async (rateFor: (knee: Knee) => number | undefined) => {
    const order = turn++ % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      const rate = rateFor(knee(target));
      if (rate !== undefined) steps.push(await run(target, rate));
    }
  };
  const knees = () => Object.fromEntries(targets.map((t) => [t, knee(t)])) as Record<TargetName, Knee>;

  if (options.rates) {
    for (const rate of options.rates) await round(() => rate);
    return { steps, knees: knees() };
  }
  for (let nominal = options.rate; ; nominal *= options.stepFactor) {
    const rate = Math.min(Math.round(nominal), options.maxRate);
    await round((k) => (k.failedAt === undefined ? rate : undefined));
    if (rate >= options.maxRate || targets.every((t) => knee(t).failedAt !== undefined)) break;
  }
  for (let i = 0; i < options.refine; i += 1) {
    await round((k) => {
      if (k.rate === undefined || k.failedAt === undefined) return undefined;
      const middle = Math.round(Math.sqrt(k.rate * k.failedAt));
      return middle > k.rate && middle < k.failedAt ? middle : undefined;
    });
  }
  return { steps, knees: knees() };
}
