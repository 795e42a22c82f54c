/**
 * `npm run cluster` as a person runs it (the script, `tsx scripts/cluster.ts`; the build is done once
 * per test run): it prints where the chat is, serves it through haproxy, refuses bad arguments, and
 * Ctrl-C (SIGINT) stops the proxy and every replica before it exits.
 */
import { spawn, spawnSync } from 'node:child_process';
import readline from 'node:readline';
import { expect, it } from 'vitest';
import { isAlive as alive } from '../../dev/processes.js';
import { describeWhen, missingProgram, missingService } from '../helpers/requirements.js';
import { ROOT } from './render.js';

const TSX = `${ROOT}/node_modules/.bin/tsx`;


describeWhen('npm run cluster', [missingProgram('haproxy', 'haproxy'), await missingService('Redis', 6379)], () => {
  it('serves the chat through haproxy and stops everything on Ctrl-C', async () => {
    const child = spawn(TSX, ['scripts/cluster.ts', '--replicas', '2', '--broker', 'redis', '--port', '0'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const lines: string[] = [];
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed within 30 s:\n${lines.join('\n')}`)), 30_000);
      readline.createInterface({ input: child.stdout! }).on('line', (line) => {
        lines.push(line);
        const open = /^Open (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
        if (open) {
          clearTimeout(timer);
          resolve(open[1]!);
        }
      });
      void exited.then((code) => reject(new Error(`exited with ${code}:\n${lines.join('\n')}`)));
    });
    const pids = lines.flatMap((line) => [...line.matchAll(/pid (\d+)/g)].map((m) => Number(m[1])));
    expect(pids).toHaveLength(3); // two replicas and haproxy

    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.headers.getSetCookie().join()).toMatch(/chorus_lb=r[12]/);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
  }, 40_000);

  it('refuses arguments it cannot honour, and says how to call it', () => {
    const result = spawnSync(TSX, ['scripts/cluster.ts', '--replicas', '0', '--broker', 'kafka'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.status).toBe(64);
    expect(result.stderr).toContain('--replicas must be 1 to 16');
    expect(result.stderr).toContain('--broker must be one of redis, rabbit, nats');
    expect(result.stderr).toContain('usage: npm run cluster');
  });
});
