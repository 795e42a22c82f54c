import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SYNC_SPACING_MS, WalSync } from '../../src/store/embedded/wal-sync.js';
import { StoreUnavailableError } from '../../src/store/port.js';

describe('WalSync', () => {
  let dir: string;
  let wal: WalSync;
  let syncStarts: number[];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chorus-wal-'));
    const file = path.join(dir, 'db-wal');
    fs.writeFileSync(file, '');
    wal = new WalSync(file);
    syncStarts = [];
    const real = fs.fdatasync;
    vi.spyOn(fs, 'fdatasync').mockImplementation((fd, callback) => {
      syncStarts.push(performance.now());
      real(fd, callback);
    });
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    await wal.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('syncs the first commit at once, and the rest of a burst together in one more sync', async () => {
    await Promise.all(Array.from({ length: 100 }, () => wal.durable()));
    expect(syncStarts).toHaveLength(2);
  });

  it('starts syncs at least SYNC_SPACING_MS apart, each covering what arrived meanwhile', async () => {
    const first = wal.durable();
    await new Promise((resolve) => setImmediate(resolve));
    const later = Array.from({ length: 20 }, () => wal.durable());
    await Promise.all([first, ...later]);
    expect(syncStarts).toHaveLength(2);
    // setTimeout may fire up to a millisecond early by the performance clock.
    expect(syncStarts[1]! - syncStarts[0]!).toBeGreaterThanOrEqual(SYNC_SPACING_MS - 1);
  });

  it('syncs at once when the last sync is long past', async () => {
    await wal.durable();
    await new Promise((resolve) => setTimeout(resolve, SYNC_SPACING_MS * 3));
    const asked = performance.now();
    await wal.durable();
    expect(syncStarts).toHaveLength(2);
    expect(syncStarts[1]! - asked).toBeLessThan(SYNC_SPACING_MS);
  });

  it('reports a failed sync to every waiter as the store being unavailable', async () => {
    vi.mocked(fs.fdatasync).mockImplementation((_fd, callback) => {
      (callback as (err: NodeJS.ErrnoException | null) => void)(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
    });
    const waiting = [wal.durable(), wal.durable()];
    for (const outcome of waiting) await expect(outcome).rejects.toThrow(/could not sync the WAL: EIO/);
    await expect(waiting[0]).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('finishes the syncs asked for before it closes, and refuses new ones after', async () => {
    const pending = wal.durable();
    await wal.close();
    await expect(pending).resolves.toBeUndefined();
    await expect(wal.durable()).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
