/**
 * Server processes for the bench: started with plain `node` (pinned to the server CPUs when taskset is
 * there), ready once a line of their output says so, stopped with SIGTERM.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import ts from 'typescript';

export interface ServerProcess<T> {
  readonly pid: number;
  /** What the ready line said (a port, a URL). */
  readonly ready: T;
  /** SIGTERM, then SIGKILL after 5 s; resolves once it has exited. */
  stop(): Promise<void>;
}

export interface StartOptions<T> {
  /** What the process is, for error messages. */
  name: string;
  /** Arguments to `node`. */
  args: string[];
  env: Record<string, string>;
  /** taskset CPU list; empty = wherever the kernel likes. */
  cpus: string;
  /** Returns a value once `line` says the process is ready. */
  ready(line: string): T | undefined;
}

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

let tasksetPresent: boolean | undefined;

/** Pins every thread of `pid` to `cpus`. Returns false when that is not possible here. */
export function pin(pid: number, cpus: string): boolean {
  if (!cpus) return false;
  tasksetPresent ??= fs.existsSync('/usr/bin/taskset') || fs.existsSync('/bin/taskset');
  if (!tasksetPresent) return false;
  execFileSync('taskset', ['--all-tasks', '--pid', '--cpu-list', cpus, String(pid)], { stdio: 'ignore' });
  return true;
}

export function startProcess<T>(options: StartOptions<T>): Promise<ServerProcess<T>> {
  const child = spawn(process.execPath, options.args, {
    env: { PATH: process.env.PATH, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${options.name} did not start`);
  const pid = child.pid;
  pin(pid, options.cpus);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // The last lines of output say why a process that died did.
  const tail: string[] = [];
  const keep = (line: string) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
  };
  readline.createInterface({ input: child.stderr! }).on('line', keep);

  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${options.name} ${why}:\n${tail.join('\n')}`));
    };
    const timer = setTimeout(() => fail(`was not ready within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    void exited.then(() => fail(`exited with ${child.exitCode ?? child.signalCode} before it was ready`));
    let started = false;
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      keep(line);
      if (started) return;
      const ready = options.ready(line);
      if (ready === undefined) return;
      started = true;
      clearTimeout(timer);
      resolve({ pid, ready, stop: () => stop(child, exited) });
    });
  });
}

function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return exited;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  return exited.finally(() => clearTimeout(timer));
}

/**
 * Compiles a self-contained TypeScript entry (imports of packages only) to plain JavaScript beside the
 * results, so it runs under bare `node` as the compiled Chorus does, without a loader's memory and
 * start-up cost skewing the comparison. Returns the .mjs path.
 */
export function compileEntry(source: string, outDir: string): string {
  const { outputText } = ts.transpileModule(fs.readFileSync(source, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: source,
  });
  fs.mkdirSync(outDir, { recursive: true });
  const target = path.join(outDir, `${path.basename(source, '.ts')}.mjs`);
  fs.writeFileSync(target, outputText);
  return target;
}
