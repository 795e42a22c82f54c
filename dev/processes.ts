/**
 * Real replica processes, started the way `npm start` starts them (`node dist/app/main.js`; the
 * build runs once per test run in test/global-setup.ts), for tests about the process itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import readline from 'node:readline';

export interface ReplicaProcess {
  url: string;
  /** Where its `/metrics` is (METRICS_PORT); undefined while it is only starting. */
  metricsUrl: string | undefined;
  child: ChildProcess;
  /** Every log line, parsed. */
  logs: Record<string, unknown>[];
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ReplicaProcessOptions {
  /** What to run. @default node dist/app/main.js */
  command?: [string, ...string[]];
  /**
   * Resolve once the replica is `ready` (its store open: the "Chorus listening" line), or once its
   * port is bound and it is still `starting` (the "Chorus starting" line). @default 'ready'
   */
  until?: 'ready' | 'starting';
  /** @default 15000 */
  timeoutMs?: number;
}

const DEFAULT_COMMAND: [string, ...string[]] = [process.execPath, 'dist/app/main.js'];

/** Starts a replica on free ports (PORT and METRICS_PORT 0 unless `env` says otherwise). */
export function startReplicaProcess(env: Record<string, string>, options: ReplicaProcessOptions = {}): Promise<ReplicaProcess> {
  const { command: [program, ...args] = DEFAULT_COMMAND, until = 'ready', timeoutMs = 15_000 } = options;
  const child = spawn(program, args, {
    env: { PATH: process.env.PATH, NODE_ENV: 'test', LOG_LEVEL: 'info', PORT: '0', METRICS_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const awaited = until === 'ready' ? 'Chorus listening' : 'Chorus starting';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`replica did not start within ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`replica exited with ${code} before listening:\n${stderr}`));
    });
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(entry);
      if (typeof entry.port === 'number' && String(entry.msg).startsWith(awaited)) {
        clearTimeout(timer);
        resolve({
          url: `http://127.0.0.1:${entry.port}`,
          metricsUrl: typeof entry.metricsPort === 'number' ? `http://127.0.0.1:${entry.metricsPort}` : undefined,
          child,
          logs,
          stop: (signal = 'SIGTERM') => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    });
  });
}

/**
 * Runs `dist/app/main.js` (for startup failures), or another script of dist/ with its arguments (the
 * operations commands, `dist/ops/*.js`), to completion: its exit code, stdout's lines and stderr.
 */
export function runToExit(
  env: Record<string, string>,
  command: [string, ...string[]] = ['dist/app/main.js'],
): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, command, {
      env: { PATH: process.env.PATH, PORT: '0', METRICS_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('close', (code) => resolve({ code, lines: stdout.split('\n').filter(Boolean), stderr }));
  });
}

/** Runs an operations command (`npm run backup|restore -- ARGS`, as built in dist/ops) on the embedded store in `dataDir`, to completion. */
export function runOps(command: 'backup' | 'restore', dataDir: string, args: string[], env: Record<string, string> = {}) {
  return runToExit({ DATA_DIR: dataDir, ...env }, [`dist/ops/${command}.js`, ...args]);
}

/** Whether a process with this pid still exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A port on 127.0.0.1 that nothing listens on right now (for a program that cannot report the one it got for 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
