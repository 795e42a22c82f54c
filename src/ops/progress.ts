/**
 * Progress of a long operator command, one task at a time (a collection being copied, say): a bar per
 * task with its counts on a terminal, and plain lines elsewhere (a log, CI, `kubectl logs`), where a
 * bar's carriage returns would be noise: one at the start, one per tenth done, one at the end.
 */
import cliProgress from 'cli-progress';

export interface ProgressTask {
  advance(by: number): void;
  finish(): void;
}

export interface Progress {
  start(label: string, total: number): ProgressTask;
}

/** Progress on `stream`: bars when it is a terminal, else lines. */
export function progressOn(stream: NodeJS.WritableStream & { isTTY?: boolean }): Progress {
  return stream.isTTY ? bars(stream) : lines(stream);
}

function bars(stream: NodeJS.WritableStream): Progress {
  return {
    start(label, total) {
      const bar = new cliProgress.SingleBar(
        { format: `${label.padEnd(10)} [{bar}] {value}/{total}`, barsize: 30, hideCursor: true, clearOnComplete: false, stream },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0);
      return { advance: (by) => bar.increment(by), finish: () => bar.stop() };
    },
  };
}

function lines(stream: NodeJS.WritableStream): Progress {
  return {
    start(label, total) {
      let done = 0;
      let tenths = 0;
      const say = () => stream.write(`${label}: ${done}/${total}\n`);
      say();
      return {
        advance(by) {
          done += by;
          const now = total === 0 ? 10 : Math.floor((done * 10) / total);
          if (now > tenths && done < total) say();
          tenths = now;
        },
        // Where it got to: the end, or as far as a failed run came.
        finish() {
          if (total > 0) say();
        },
      };
    },
  };
}
