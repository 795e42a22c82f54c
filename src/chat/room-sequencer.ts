/**
 * Delivers each room's messages in seq order, exactly once, whatever order they were stored or arrived
 * in. Seqs are handed out atomically but stored and broadcast concurrently — by several requests on one
 * replica, or by several replicas — so seq 7 can reach a replica before seq 6. The sequencer holds 7
 * back until 6 arrives; if 6 does not come within `gapTimeoutMs`, it reads the store for what is
 * missing, and if the store does not have it either (a replica died between taking the seq and
 * storing it), it moves on so one lost seq never stalls a room.
 *
 * A room's sequence starts when its first socket here joins it (`observe`, with the history that
 * socket was given), or else at the first message seen. A message older than that start which has not
 * been delivered here (it was in flight when the replica first looked) is delivered late rather than
 * dropped: losing a message is worse than showing one out of order.
 */
import type { Message } from './messages.js';

export interface RoomSequencerOptions {
  /** Called once per message, in seq order per room. */
  deliver(message: Message): void;
  /** Stored messages of `room` with seq > `afterSeq`, ascending. */
  fetchAfter(room: string, afterSeq: number): Promise<Message[]>;
  /** How long a gap may stay open before the store is asked. @default 250 */
  gapTimeoutMs?: number;
  onError?(err: unknown): void;
  /** Hears of every gap that held a room back for the whole timeout, once it is dealt with. */
  onGap?(gap: GapReport): void;
}

/** A room held back by a missing seq for `gapTimeoutMs`, and how it ended (see `RoomSequencerOptions.onGap`). */
export interface GapReport {
  room: string;
  /** The seq waited on. */
  missing: number;
  /** Messages held back behind it. */
  held: number;
  /** `filled` from the store, `skipped` (not stored either) or `failed` (the store could not be read). */
  outcome: 'filled' | 'skipped' | 'failed';
}

/** Delivered seqs remembered per room, to drop repeats that arrive after their turn. */
const DELIVERED_MEMORY = 1024;

interface RoomState {
  /** The seq that can be delivered next. */
  next: number;
  pending: Map<number, Message>;
  /** Recently delivered seqs, oldest first (Set keeps insertion order). */
  delivered: Set<number>;
  gapTimer?: NodeJS.Timeout;
  /** The missing seq `gapTimer` waits for. */
  gapAt?: number;
  /** The highest seq another replica said the room has reached (see `heard`). */
  heardUpTo: number;
}

export class RoomSequencer {
  readonly #rooms = new Map<string, RoomState>();
  readonly #options: Required<RoomSequencerOptions>;
  #closed = false;

  constructor(options: RoomSequencerOptions) {
    this.#options = { gapTimeoutMs: 250, onError: () => {}, onGap: () => {}, ...options };
  }

  /** Accepts a message from any source; repeats and already-delivered seqs are dropped. */
  push(message: Message): void {
    if (this.#closed) return;
    // The first message seen for a room starts its sequence: earlier ones were history before we looked.
    const state = this.#rooms.get(message.room) ?? this.#start(message.room, message.seq);
    if (state.delivered.has(message.seq) || state.pending.has(message.seq)) return;
    if (message.seq < state.next) {
      if (message.seq >= state.next - DELIVERED_MEMORY) this.#deliver(state, message);
      return;
    }
    state.pending.set(message.seq, message);
    this.#drain(message.room, state);
  }

  /**
   * Starts a room not seen yet after `upTo`, treating `historySeqs` (the history a joining socket was
   * given) as delivered, so they are not sent again. A room already in sequence is left as it is.
   */
  observe(room: string, historySeqs: readonly number[], upTo: number): void {
    if (this.#closed || this.#rooms.has(room)) return;
    const state = this.#start(room, upTo + 1);
    for (const seq of historySeqs) state.delivered.add(seq);
  }

  /**
   * Another replica says `room` has reached `lastSeq`. A room followed here that is behind it has a gap
   * even if nothing later arrived (a publish lost in a quiet room): it is filled from the store after
   * the gap timeout, like any other.
   */
  heard(room: string, lastSeq: number): void {
    const state = this.#rooms.get(room);
    if (this.#closed || !state || lastSeq < state.next) return;
    state.heardUpTo = Math.max(state.heardUpTo, lastSeq);
    this.#drain(room, state);
  }

  /** The seq a room's next delivery will carry, or undefined for a room not seen yet. */
  nextSeq(room: string): number | undefined {
    return this.#rooms.get(room)?.next;
  }

  close(): void {
    this.#closed = true;
    for (const state of this.#rooms.values()) clearTimeout(state.gapTimer);
    this.#rooms.clear();
  }

  #start(room: string, seq: number): RoomState {
    const state: RoomState = { next: seq, pending: new Map(), delivered: new Set(), heardUpTo: 0 };
    this.#rooms.set(room, state);
    return state;
  }

  #drain(room: string, state: RoomState): void {
    for (let message = state.pending.get(state.next); message; message = state.pending.get(state.next)) {
      state.pending.delete(state.next);
      state.next += 1;
      this.#deliver(state, message);
    }
    // The timer belongs to the gap at `next`: it is armed when that gap opens and left alone while later
    // messages arrive, or a busy room would postpone the fill for as long as it stays busy.
    const behind = state.pending.size > 0 || state.heardUpTo >= state.next;
    if (!behind || state.gapAt !== state.next) {
      clearTimeout(state.gapTimer);
      state.gapTimer = undefined;
      state.gapAt = undefined;
    }
    if (behind && state.gapTimer === undefined) {
      state.gapAt = state.next;
      state.gapTimer = setTimeout(() => {
        state.gapTimer = undefined;
        state.gapAt = undefined;
        void this.#fillGap(room, state);
      }, this.#options.gapTimeoutMs);
      state.gapTimer.unref();
    }
  }

  #deliver(state: RoomState, message: Message): void {
    state.delivered.add(message.seq);
    for (const old of state.delivered) {
      if (state.delivered.size <= DELIVERED_MEMORY) break;
      state.delivered.delete(old);
    }
    this.#options.deliver(message);
  }

  async #fillGap(room: string, state: RoomState): Promise<void> {
    const expected = state.next;
    const held = state.pending.size;
    let failed = false;
    try {
      const stored = await this.#options.fetchAfter(room, expected - 1);
      if (this.#closed) return;
      for (const message of stored) if (message.seq >= state.next && !state.pending.has(message.seq)) state.pending.set(message.seq, message);
    } catch (err) {
      failed = true;
      this.#options.onError(err);
    }
    if (this.#closed) return;
    const found = state.next !== expected || state.pending.has(expected);
    this.#options.onGap({ room, missing: expected, held, outcome: failed ? 'failed' : found ? 'filled' : 'skipped' });
    if (found) return this.#drain(room, state);
    // The store does not have it either: that seq was taken and never stored. Skip to what we hold, or,
    // holding nothing (only told of later seqs), stop waiting for what the store does not have.
    if (state.pending.size > 0) state.next = Math.min(...state.pending.keys());
    else state.heardUpTo = expected - 1;
    this.#drain(room, state);
  }
}
