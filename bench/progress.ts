/** One progress bar per phase of the run (connecting, each step), on stderr so stdout keeps the report. */
import cliProgress from 'cli-progress';

export interface Phase {
  update(value: number, info: string): void;
  stop(): void;
}

export function startPhase(title: string, total: number, unit: string): Phase {
  const bar = new cliProgress.SingleBar(
    {
      format: `${title.padEnd(28)} [{bar}] {value}/{total} ${unit} | {info}`,
      barsize: 24,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { info: '' });
  return {
    update: (value, info) => bar.update(Math.min(value, total), { info }),
    stop: () => bar.stop(),
  };
}
