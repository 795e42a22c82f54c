/**
 * Suites that need a program (haproxy, docker-compose, kubectl) or a service: run where they are,
 * skipped loudly elsewhere, and failing on CI (CI=true), where a missing one must not pass as green.
 * One rule for every need; `requireBroker` applies it inside a test.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, type TestContext } from 'vitest';
import type { BrokerSetup } from '../../dev/brokers.js';
import { serviceAvailable } from '../../dev/services.js';

/** Undefined when `program` is on the PATH, else what is missing and the Debian package that brings it. */
export function missingProgram(program: string, debianPackage: string): string | undefined {
  const found = (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir, program), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  return found ? undefined : `${program} is not installed (apt-get install ${debianPackage})`;
}

/** Undefined when `name` answers on 127.0.0.1:port, else what is missing. */
export async function missingService(name: string, port: number): Promise<string | undefined> {
  return (await serviceAvailable('127.0.0.1', port)) ? undefined : `${name} does not answer on 127.0.0.1:${port}`;
}

/** `describe(title, fn)` when nothing in `needs` is missing; otherwise a loud skip, or on CI a failing test. */
export function describeWhen(title: string, needs: (string | undefined)[], fn: () => void): void {
  const missing = needs.filter((need): need is string => need !== undefined);
  if (missing.length === 0) {
    describe(title, fn);
    return;
  }
  if (process.env.CI === 'true') {
    describe(title, () => {
      it('has what it needs', () => {
        throw new Error(`${missing.join('; ')}; CI must have it`);
      });
    });
    return;
  }
  console.warn(`\n[SKIPPED] ${title}: ${missing.join('; ')}.\n`);
  describe.skip(title, fn);
}

/** `describe(name, fn)` when the service `name` answers on 127.0.0.1:port (see `describeWhen`). Await it at the top level. */
export async function describeWithService(name: string, port: number, fn: () => void): Promise<void> {
  describeWhen(name, [await missingService(name, port)], fn);
}

/** Resolves when `setup`'s broker answers; otherwise fails in CI and skips the test (with a warning) elsewhere. */
export async function requireBroker(setup: BrokerSetup, ctx: TestContext): Promise<void> {
  const missing = setup.port ? await missingService(setup.name, setup.port) : undefined;
  if (!missing) return;
  if (process.env.CI === 'true') throw new Error(`${missing}; CI must have it`);
  console.warn(`[SKIPPED] ${missing}`);
  ctx.skip();
}
