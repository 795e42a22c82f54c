/**
 * The timed store (`instrumentStore`, what `openStore` returns): it keeps the store contract, and its
 * calls land in `chorus_store_operation_seconds` by operation and driver, failures included.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerDependencyMetrics } from '../../src/observability/dependency-metrics.js';
import { createEmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { instrumentStore } from '../../src/store/instrumented-store.js';
import type { Store } from '../../src/store/port.js';
import { storeContract } from '../contract/store-suite.js';
import { dataDirContains } from '../helpers/data-dir.js';

storeContract('embedded, timed', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'chorus-timed-store-'));
  let dataDir = root;
  return {
    open: async ({ historyMax }) => {
      dataDir = fs.mkdtempSync(path.join(root, 'db-'));
      return instrumentStore(await createEmbeddedStore({ dataDir, historyMax }));
    },
    reopen: async ({ historyMax }) => instrumentStore(await createEmbeddedStore({ dataDir, historyMax })),
    cleanup: async () => fs.rmSync(root, { recursive: true, force: true }),
    rawContains: async (text) => dataDirContains(dataDir, text),
  };
});

describe('chorus_store_operation_seconds', () => {
  const registry = new Registry();
  registerDependencyMetrics(registry);
  let dataDir: string;
  let store: Store;

  /** How many calls of `operation` on the embedded driver the histogram holds. */
  async function count(operation: string): Promise<number> {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'chorus_store_operation_seconds');
    const values = (metric?.values ?? []) as { metricName?: string; labels: Record<string, unknown>; value: number }[];
    const sample = values.find(
      (v) => v.metricName === 'chorus_store_operation_seconds_count' && v.labels.operation === operation && v.labels.driver === 'embedded',
    );
    return sample?.value ?? 0;
  }

  beforeEach(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chorus-timed-'));
    store = instrumentStore(await createEmbeddedStore({ dataDir, historyMax: 0 }));
  });
  afterEach(async () => {
    await store.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('counts repository calls by operation, and failed ones too', async () => {
    const appends = await count('messages.append');
    const finds = await count('users.find');
    await store.messages.append({ room: 'general', clientId: 'c1', author: 'alice', text: 'hi', ts: 1 });
    await store.messages.append({ room: 'general', clientId: 'c2', author: 'alice', text: 'hi', ts: 2 });
    await store.users.find('alice');
    expect(await count('messages.append')).toBe(appends + 2);
    expect(await count('users.find')).toBe(finds + 1);

    await store.close();
    await expect(store.users.find('alice')).rejects.toThrow();
    expect(await count('users.find')).toBe(finds + 2);
  });

  it('times session calls until their callback, which still gets the result', async () => {
    const gets = await count('sessions.get');
    const sets = await count('sessions.set');
    const data = { cookie: { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000) }, user: { name: 'alice' } } as never;
    await new Promise<void>((resolve, reject) => store.sessions.set('sid', data, (err) => (err ? reject(err) : resolve())));
    const got = await new Promise((resolve, reject) => store.sessions.get('sid', (err, value) => (err ? reject(err) : resolve(value))));
    expect(got).toMatchObject({ user: { name: 'alice' } });
    expect(await count('sessions.set')).toBe(sets + 1);
    expect(await count('sessions.get')).toBe(gets + 1);
  });
});
