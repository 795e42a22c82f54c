import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Message } from '../../src/chat/messages.js';
import { RoomSequencer, type GapReport } from '../../src/chat/room-sequencer.js';

const message = (seq: number, room = 'r'): Message => ({
  id: `${room}-${seq}`,
  room,
  seq,
  updatedSeq: seq,
  clientId: `c${seq}`,
  user: { name: 'alice', avatarUrl: null },
  text: `m${seq}`,
  ts: seq,
  editedAt: null,
  deleted: false,
  replyTo: null,
  reactions: [],
  mentions: [],
});

/** The message posted at `seq`, as a change at `at` left it. */
const changed = (seq: number, at: number, room = 'r'): Message => ({ ...message(seq, room), updatedSeq: at, text: `m${seq} edited at ${at}`, editedAt: at });

describe('RoomSequencer', () => {
  let delivered: Message[];
  let stored: Message[];
  let sequencer: RoomSequencer;
  let gaps: GapReport[];
  const seqs = (room = 'r') => delivered.filter((m) => m.room === room).map((m) => m.seq);

  /** A sequencer over `stored`, recording into `delivered` and `gaps`. */
  const sequencerWaiting = (skipAfterMs: number) =>
    new RoomSequencer({
      deliver: (m) => delivered.push(m),
      fetchAfter: async (room, after) =>
        stored.filter((m) => m.room === room && m.updatedSeq > after).sort((a, b) => a.updatedSeq - b.updatedSeq),
      gapTimeoutMs: 250,
      skipAfterMs,
      onGap: (gap) => gaps.push(gap),
    });

  beforeEach(() => {
    vi.useFakeTimers();
    delivered = [];
    stored = [];
    gaps = [];
    // Most cases move past a seq the store lacks at the first look; the wait itself has its own tests.
    sequencer = sequencerWaiting(0);
  });
  afterEach(() => {
    sequencer.close();
    vi.useRealTimers();
  });

  it('delivers in seq order whatever the arrival order, each once', () => {
    for (const seq of [1, 3, 2, 2, 5, 4, 1, 6]) sequencer.push(message(seq));
    expect(seqs()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('keeps rooms independent', () => {
    sequencer.push(message(1, 'a'));
    sequencer.push(message(3, 'a'));
    sequencer.push(message(1, 'b'));
    sequencer.push(message(2, 'b'));
    expect(seqs('a')).toEqual([1]);
    expect(seqs('b')).toEqual([1, 2]);
  });

  it('fills a gap from the store after the timeout', async () => {
    sequencer.push(message(1));
    sequencer.push(message(3));
    stored.push(message(2));
    expect(seqs()).toEqual([1]);
    await vi.advanceTimersByTimeAsync(249);
    expect(seqs()).toEqual([1]);
    await vi.advanceTimersByTimeAsync(1);
    expect(seqs()).toEqual([1, 2, 3]);
    sequencer.push(message(2));
    expect(seqs()).toEqual([1, 2, 3]);
  });

  it('fills a gap within its timeout however busy the room is', async () => {
    sequencer.push(message(1));
    stored.push(message(2));
    // Later messages keep arriving more often than the timeout: they must not postpone the fill.
    for (let seq = 3; seq <= 7; seq++) {
      sequencer.push(message(seq));
      stored.push(message(seq));
      await vi.advanceTimersByTimeAsync(60);
    }
    expect(seqs()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('gives a new gap a timeout of its own once the first one is filled', async () => {
    sequencer.push(message(1));
    sequencer.push(message(3));
    await vi.advanceTimersByTimeAsync(200);
    sequencer.push(message(2));
    sequencer.push(message(5));
    stored.push(message(4));
    await vi.advanceTimersByTimeAsync(249);
    expect(seqs()).toEqual([1, 2, 3]);
    await vi.advanceTimersByTimeAsync(1);
    expect(seqs()).toEqual([1, 2, 3, 4, 5]);
  });

  it('skips a seq that was never stored, so a room never stalls', async () => {
    sequencer.push(message(1));
    sequencer.push(message(3));
    sequencer.push(message(4));
    await vi.advanceTimersByTimeAsync(250);
    expect(seqs()).toEqual([1, 3, 4]);
    sequencer.push(message(5));
    expect(seqs()).toEqual([1, 3, 4, 5]);
  });

  it('fills a gap it was told of by another replica, though nothing later arrived', async () => {
    sequencer.push(message(1));
    stored.push(message(2), message(3));
    sequencer.heard('r', 1);
    sequencer.heard('other', 5);
    await vi.advanceTimersByTimeAsync(250);
    expect(seqs()).toEqual([1]);
    sequencer.heard('r', 3);
    await vi.advanceTimersByTimeAsync(250);
    expect(seqs()).toEqual([1, 2, 3]);
    expect(seqs('other')).toEqual([]);
  });

  it('stops waiting on seqs it was told of that the store does not have', async () => {
    sequencer.push(message(1));
    sequencer.heard('r', 2);
    await vi.advanceTimersByTimeAsync(250);
    expect(vi.getTimerCount()).toBe(0);
    sequencer.push(message(2));
    expect(seqs()).toEqual([1, 2]);
  });

  it('reports each gap that held a room back for the whole timeout, and how it ended', async () => {
    sequencer.push(message(1));
    sequencer.push(message(3));
    sequencer.push(message(2)); // arrived in time: not a report
    sequencer.push(message(5));
    sequencer.push(message(6));
    stored.push(message(4));
    await vi.advanceTimersByTimeAsync(250);
    sequencer.push(message(8));
    await vi.advanceTimersByTimeAsync(250);
    expect(gaps).toEqual([
      { room: 'r', missing: 4, held: 2, outcome: 'filled' },
      { room: 'r', missing: 7, held: 1, outcome: 'skipped' },
    ]);
    expect(seqs()).toEqual([1, 2, 3, 4, 5, 6, 8]);
  });

  it('delivers the rest even when the store cannot be read', async () => {
    const errors: unknown[] = [];
    const failing = new RoomSequencer({
      deliver: (m) => delivered.push(m),
      fetchAfter: () => Promise.reject(new Error('down')),
      onError: (err) => errors.push(err),
      onGap: (gap) => gaps.push(gap),
    });
    failing.push(message(1));
    failing.push(message(3));
    await vi.advanceTimersByTimeAsync(250);
    expect(seqs()).toEqual([1, 3]);
    expect(errors).toHaveLength(1);
    expect(gaps).toEqual([{ room: 'r', missing: 2, held: 1, outcome: 'failed' }]);
    failing.close();
  });

  it('delivers late, not never, a message older than the first one seen', () => {
    sequencer.push(message(10));
    sequencer.push(message(9));
    sequencer.push(message(9));
    sequencer.push(message(11));
    expect(seqs()).toEqual([10, 9, 11]);
  });

  it("starts a room where a joining socket's history ends, without repeating that history", () => {
    sequencer.observe('r', [4, 5], 5);
    for (const seq of [7, 5, 6]) sequencer.push(message(seq));
    expect(seqs()).toEqual([6, 7]);
    sequencer.observe('r', [1, 2, 3], 3);
    sequencer.push(message(8));
    expect(seqs()).toEqual([6, 7, 8]);
  });

  it('delivers a message missing from the history late rather than never', () => {
    sequencer.observe('r', [1, 3], 3);
    sequencer.push(message(2));
    sequencer.push(message(4));
    expect(seqs()).toEqual([2, 4]);
  });

  it('delivers nothing after close', () => {
    sequencer.close();
    sequencer.push(message(1));
    expect(delivered).toEqual([]);
  });

  it('waits for a slow write of a missing seq, asking the store again, rather than delivering it late', async () => {
    const patient = sequencerWaiting(2000);
    patient.push(message(1));
    patient.push(message(3));
    await vi.advanceTimersByTimeAsync(1000);
    expect(seqs()).toEqual([1]);
    expect(gaps).toEqual([]);
    // The write of seq 2 lands late; the next look finds it, and the room goes on in order.
    stored.push(message(2));
    await vi.advanceTimersByTimeAsync(250);
    expect(seqs()).toEqual([1, 2, 3]);
    expect(gaps).toEqual([{ room: 'r', missing: 2, held: 1, outcome: 'filled' }]);
    // A seq never stored is moved past once skipAfterMs has passed since its gap opened.
    patient.push(message(5));
    await vi.advanceTimersByTimeAsync(1750);
    expect(seqs()).toEqual([1, 2, 3]);
    await vi.advanceTimersByTimeAsync(250);
    expect(seqs()).toEqual([1, 2, 3, 5]);
    expect(gaps.at(-1)).toEqual({ room: 'r', missing: 4, held: 1, outcome: 'skipped' });
    patient.close();
  });

  describe('the room log', () => {
    const log = (room = 'r') => delivered.filter((m) => m.room === room).map((m) => m.updatedSeq);

    it('orders posts and changes by updatedSeq, whatever order they arrive in', () => {
      sequencer.push(message(1));
      sequencer.push(changed(1, 3));
      sequencer.push(message(2));
      expect(log()).toEqual([1, 2, 3]);
      expect(delivered.at(-1)).toMatchObject({ id: 'r-1', seq: 1, updatedSeq: 3 });
    });

    it('drops a repeated change and delivers two changes of one message in order', () => {
      sequencer.push(message(1));
      sequencer.push(changed(1, 3));
      sequencer.push(changed(1, 2));
      sequencer.push(changed(1, 3));
      expect(log()).toEqual([1, 2, 3]);
    });

    it('fills a lost post with the later state the store has, moving past the post\'s own seq at once', async () => {
      const patient = sequencerWaiting(2000);
      patient.push(message(1));
      // Seq 2 (a post) was lost in transit and edited at 4 since; the store holds only its state at 4, so
      // seq 2 is explained and not waited for.
      stored.push(message(3), changed(2, 4));
      patient.push(message(3));
      await vi.advanceTimersByTimeAsync(250);
      expect(log()).toEqual([1, 3, 4]);
      expect(gaps).toEqual([{ room: 'r', missing: 2, held: 1, outcome: 'skipped' }]);
      patient.close();
    });

    it('drops a change that comes after the gap fill brought a later state of its message, but not a late post', async () => {
      sequencer.push(message(1));
      // The change at 2 is slow to arrive; the message changed again at 4, which the store holds.
      stored.push(changed(1, 4), message(3));
      sequencer.push(message(3));
      await vi.advanceTimersByTimeAsync(250);
      expect(log()).toEqual([1, 3, 4]);
      sequencer.push(changed(1, 2));
      // A post skipped as never stored is still delivered when it turns up: it is nobody's older state.
      sequencer.push(message(5));
      stored.push(message(5), message(7));
      sequencer.push(message(7));
      await vi.advanceTimersByTimeAsync(250);
      sequencer.push(message(6));
      expect(log()).toEqual([1, 3, 4, 5, 7, 6]);
    });

    it('drops a late change whose later state is still held behind a gap', async () => {
      sequencer.push(message(1));
      // The store no longer has the change at 2 but the message's state at 5, which waits for 4.
      stored.push(message(3), changed(1, 5));
      sequencer.push(message(3));
      await vi.advanceTimersByTimeAsync(250);
      expect(log()).toEqual([1, 3]);
      sequencer.push(changed(1, 2));
      expect(log()).toEqual([1, 3]);
      sequencer.push(message(4));
      expect(log()).toEqual([1, 3, 4, 5]);
    });
  });
});
