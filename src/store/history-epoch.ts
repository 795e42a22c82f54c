/**
 * The history epoch: one id per store, made when the store is first opened and replaced when a backup
 * is restored into it (`src/ops/restore-backup.ts`) or when the embedded store opens after the machine
 * went down with it open (`embedded/crash-epoch.ts`). Seqs count from one per room, so after either
 * the same seq can name another message than a client holds; a client that joins with `sinceSeq` names
 * the epoch its seqs come from, and one that is not the store's is answered with a fresh history
 * instead of a merge (`room:join`, docs/protocol.md).
 */
import { randomUUID } from 'node:crypto';

/**
 * The key both drivers keep the epoch under (a `meta` row, a `meta` document's `_id`): one spelling, so
 * `npm run migrate`, which copies the table into the collection, carries the epoch over.
 */
export const HISTORY_EPOCH_KEY = 'history_epoch';

/** A fresh epoch: random, so two stores (or a store before and after a restore) never share one. */
export function newHistoryEpoch(): string {
  return randomUUID();
}
