/**
 * Durable commits without blocking the event loop. With `synchronous=FULL`, SQLite fsyncs the WAL inside
 * every commit, on the thread that commits: ours, so every client waits while the disk flushes. Instead
 * the database runs with `synchronous=NORMAL` (commits write the WAL without syncing it; checkpoints
 * still sync in the right order) and a write is acknowledged only after an fdatasync of the WAL that
 * began after its commit, run on libuv's thread pool. One sync covers every commit made before it
 * started. A sync costs the kernel a few hundred microseconds of CPU here, so syncs start at most every
 * `SYNC_SPACING_MS`: an idle store syncs at once, a busy one makes a few milliseconds of commits durable
 * with each sync (group commit) instead of syncing back to back.
 *
 * The WAL file keeps its inode while a connection is open (SQLite resets it in place and deletes it only
 * when the last connection closes), so one descriptor opened after the first write stays valid.
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { StoreUnavailableError } from '../port.js';

/** Adds at most this much to an acknowledgement's latency; bounds syncs to 250 a second. */
export const SYNC_SPACING_MS = 4;

interface Waiter {
  resolve(): void;
  reject(err: StoreUnavailableError): void;
}

export class WalSync {
  readonly #fd: number;
  /** Commits waiting for the next sync; it starts when the running one ends. */
  #waiting: Waiter[] = [];
  #syncing = false;
  #lastStart = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /** `walPath` must exist: open it after the database has written in WAL mode. */
  constructor(walPath: string) {
    this.#fd = fs.openSync(walPath, 'r+');
  }

  /** Resolves once everything committed before this call is on disk. */
  durable(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(new StoreUnavailableError('embedded store: the database is closed'));
      this.#waiting.push({ resolve, reject });
      this.#schedule();
    });
  }

  /** Waits for the syncs already asked for, then releases the descriptor. */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#waiting.length > 0 || this.#syncing || this.#timer) await this.durable();
    this.#closed = true;
    fs.closeSync(this.#fd);
  }

  #schedule(): void {
    if (this.#syncing || this.#timer) return;
    const wait = this.#lastStart + SYNC_SPACING_MS - performance.now();
    if (wait <= 0) return this.#sync();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#sync();
    }, wait);
  }

  #sync(): void {
    const group = this.#waiting;
    this.#waiting = [];
    this.#syncing = true;
    this.#lastStart = performance.now();
    fs.fdatasync(this.#fd, (err) => {
      this.#syncing = false;
      const failure = err && new StoreUnavailableError(`embedded store: could not sync the WAL: ${err.message}`, { cause: err });
      for (const waiter of group) {
        if (failure) waiter.reject(failure);
        else waiter.resolve();
      }
      if (this.#waiting.length > 0) this.#schedule();
    });
  }
}
