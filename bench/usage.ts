/**
 * How much CPU and memory the servers use: read from /proc for the processes the bench started, or
 * from a running replica's /metrics (prom-client's process metrics, on its METRICS_PORT) when it targets one by URL.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export interface Usage {
  /** User + system CPU seconds since each process started, summed. */
  cpuSeconds: number;
  /** Resident memory, summed. */
  rssBytes: number;
}

export interface UsageProbe {
  read(): Promise<Usage>;
}

const sysconf = (name: string, fallback: number): number => {
  try {
    return Number(execFileSync('getconf', [name], { encoding: 'utf8' }).trim()) || fallback;
  } catch {
    return fallback;
  }
};

let ticksPerSecond: number | undefined;
let pageSize: number | undefined;

/** The processes `pids`, from /proc/<pid>/stat (utime, stime) and /proc/<pid>/statm (resident pages). */
export function procUsage(pids: readonly number[]): UsageProbe {
  ticksPerSecond ??= sysconf('CLK_TCK', 100);
  pageSize ??= sysconf('PAGESIZE', 4096);
  const ticks = ticksPerSecond;
  const page = pageSize;
  return {
    read: async () => {
      let cpuSeconds = 0;
      let rssBytes = 0;
      for (const pid of pids) {
        // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        // Fields 14 and 15 of stat (utime, stime) are 11 and 12 after the state field (3).
        cpuSeconds += (Number(fields[11]) + Number(fields[12])) / ticks;
        const statm = fs.readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
        rssBytes += Number(statm[1]) * page;
      }
      return { cpuSeconds, rssBytes };
    },
  };
}

/** Replicas whose metrics listeners are at `urls`, from `process_cpu_seconds_total` and `process_resident_memory_bytes`. */
export function metricsUsage(urls: readonly string[]): UsageProbe {
  const value = (text: string, name: string) => {
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    if (!match) throw new Error(`/metrics has no ${name}`);
    return Number(match[1]);
  };
  return {
    read: async () => {
      let cpuSeconds = 0;
      let rssBytes = 0;
      for (const url of urls) {
        const res = await fetch(new URL('/metrics', url));
        if (!res.ok) throw new Error(`GET ${url}/metrics answered ${res.status}`);
        const text = await res.text();
        cpuSeconds += value(text, 'process_cpu_seconds_total');
        rssBytes += value(text, 'process_resident_memory_bytes');
      }
      return { cpuSeconds, rssBytes };
    },
  };
}
