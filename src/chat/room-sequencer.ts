/**
 * Delivers each room's log — its posts and every change to them, each at the room seq it took (a
 * message's `updatedSeq`) — in that order, exactly once, whatever order they were stored or arrived in.
 * Seqs are handed out atomically but stored and broadcast concurrently — by several requests on one
 * replica, or by several replicas — so seq 7 can reach a replica before seq 6. The sequencer holds 7
 * back until 6 arrives; if 6 does not come within `gapTimeoutMs`, it reads the store for what is
 * missing, and if the store does not have it either, asks again until `skipAfterMs` has passed (a
 * slow write is waited for, not delivered late), then moves on so one lost seq never stalls a room for
 * long (a replica died between taking the seq and storing it). A post the store holds only in a later
 * state (it changed again since) is moved past at once.
 *
 * A room's sequence starts when its first socket here joins it (`observe`, with the history that
 * socket was given), or else at the first message seen. A message older than that start which has not
 * been delivered here (it was in flight when the replica first looked) is delivered late rather than
 * dropped: losing a message is worse than showing one out of order. But a late change of a message
 * already delivered (or held) in a later state is stale, not lost: a gap fill skipped its seq because the
 * message had changed again since, and brought that later state. It is dropped, so no socket is sent a
 * message going back in time.
 */
import type { Message } from './messages.js';

export interface RoomSequencerOptions {
  /** Called once per log entry, in `updatedSeq` order per room. */
  deliver(message: Message): void;
  /** Stored messages of `room` with updatedSeq > `afterSeq`, ascending by it, in their current state. */
  fetchAfter(room: string, afterSeq: number): Promise<Message[]>;
  /** How long a gap may stay open before the store is asked. @default 250 */
  gapTimeoutMs?: number;
  /**
   * How long a seq the store does not have either is waited for before the room moves past it (ms): its
   * write may only be slow (a loaded store), and moving on would deliver it late, out of order. Past this,
   * it counts as taken and never stored. The store is asked again every `gapTimeoutMs` meanwhile. @default 2000
   */
  skipAfterMs?: number;
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
  /** The updatedSeq each recently delivered message was delivered at, least recently delivered first. */
  latest: Map<string, number>;
  gapTimer?: NodeJS.Timeout;
  /** The missing seq `gapTimer` waits for. */
  gapAt?: number;
  /** The highest seq another replica said the room has reached (see `heard`). */
  heardUpTo: number;
  /** The seq the store was last asked for and did not have, and since when the room has waited on it. */
  stalled?: { seq: number; since: number };
}

export class RoomSequencer {
  readonly #rooms = new Map<string, RoomState>();
  readonly #options: Required<RoomSequencerOptions>;
  #closed = false;

  constructor(options: RoomSequencerOptions) {
    this.#options = { gapTimeoutMs: 250, skipAfterMs: 2000, onError: () => {}, onGap: () => {}, ...options };
  }

  /** Accepts a message from any source; repeats and already-delivered seqs are dropped. */
  push(message: Message): void {
    if (this.#closed) return;
    const at = message.updatedSeq;
    // The first message seen for a room starts its sequence: earlier ones were history before we looked.
    const state = this.#rooms.get(message.room) ?? this.#start(message.room, at);
    if (state.delivered.has(at) || state.pending.has(at)) return;
    if (at < state.next) {
      if (at >= state.next - DELIVERED_MEMORY && !this.#superseded(state, message)) this.#deliver(state, message);
      return;
    }
    state.pending.set(at, message);
    this.#drain(message.room, state);
  }

  /**
   * Starts a room not seen yet after `upTo`, treating `historySeqs` (the `updatedSeq`s of the history a
   * joining socket was given) as delivered, so they are not sent again. A room already in sequence is
   * left as it is.
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
    const state: RoomState = { next: seq, pending: new Map(), delivered: new Set(), latest: new Map(), heardUpTo: 0 };
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
    state.delivered.add(message.updatedSeq);
    for (const old of state.delivered) {
      if (state.delivered.size <= DELIVERED_MEMORY) break;
      state.delivered.delete(old);
    }
    state.latest.delete(message.id);
    state.latest.set(message.id, message.updatedSeq);
    if (state.latest.size > DELIVERED_MEMORY) state.latest.delete(state.latest.keys().next().value!);
    this.#options.deliver(message);
  }

  /** Whether a later state of `message` was delivered here, or is held to be. */
  #superseded(state: RoomState, message: Message): boolean {
    if ((state.latest.get(message.id) ?? 0) > message.updatedSeq) return true;
    return [...state.pending.values()].some((held) => held.id === message.id && held.updatedSeq > message.updatedSeq);
  }

  async #fillGap(room: string, state: RoomState): Promise<void> {
    const expected = state.next;
    const held = state.pending.size;
    let failed = false;
    // A post whose later state the store returned: its own seq is explained, not missing.
    let superseded = false;
    try {
      const stored = await this.#options.fetchAfter(room, expected - 1);
      if (this.#closed) return;
      for (const message of stored) {
        if (message.updatedSeq >= state.next && !state.pending.has(message.updatedSeq)) state.pending.set(message.updatedSeq, message);
        if (message.seq === expected) superseded = true;
      }
    } catch (err) {
      failed = true;
      this.#options.onError(err);
    }
    if (this.#closed) return;
    const found = state.next !== expected || state.pending.has(expected);
    if (!found && !failed && !superseded && this.#stillWaiting(state, expected)) return this.#drain(room, state);
    state.stalled = undefined;
    this.#options.onGap({ room, missing: expected, held, outcome: failed ? 'failed' : found ? 'filled' : 'skipped' });
    if (found) return this.#drain(room, state);
    // The store does not have it either: that seq was taken and never stored. Skip to what we hold, or,
    // holding nothing (only told of later seqs), stop waiting for what the store does not have.
    if (state.pending.size > 0) state.next = Math.min(...state.pending.keys());
    else state.heardUpTo = expected - 1;
    this.#drain(room, state);
  }

  /** Whether the room keeps waiting for `seq`, which the store does not have (yet): for `skipAfterMs` since the gap opened. */
  #stillWaiting(state: RoomState, seq: number): boolean {
    const now = Date.now();
    if (state.stalled?.seq !== seq) state.stalled = { seq, since: now - this.#options.gapTimeoutMs };
    return now - state.stalled.since < this.#options.skipAfterMs;
  }
}
