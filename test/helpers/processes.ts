/**
 * Real replica processes, started the way `npm start` starts them (`node dist/app/main.js`; the
 * build runs once per test run in test/global-setup.ts), for tests about the process itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';

export interface ReplicaProcess {
  url: string;
  child: ChildProcess;
  /** Every log line, parsed. */
  logs: Record<string, unknown>[];
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `dist/app/main.js` on a free port and resolves once it listens. */
export function startReplicaProcess(env: Record<string, string>, timeoutMs = 15_000): Promise<ReplicaProcess> {
  const child = spawn(process.execPath, ['dist/app/main.js'], {
    env: { PATH: process.env.PATH, NODE_ENV: 'test', LOG_LEVEL: 'info', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
      if (typeof entry.port === 'number' && String(entry.msg).startsWith('Chorus listening')) {
        clearTimeout(timer);
        resolve({
          url: `http://127.0.0.1:${entry.port}`,
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

/** Runs `dist/app/main.js` to completion (for startup failures) and returns its exit code and stderr. */
export function runToExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/app/main.js'], { env: { PATH: process.env.PATH, PORT: '0', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}
