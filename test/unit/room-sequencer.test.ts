import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Message } from '../../src/chat/messages.js';
import { RoomSequencer, type GapReport } from '../../src/chat/room-sequencer.js';

const message = (seq: number, room = 'r'): Message => ({
  id: `${room}-${seq}`,
  room,
  seq,
  clientId: `c${seq}`,
  user: { name: 'alice', avatarUrl: null },
  text: `m${seq}`,
  ts: seq,
});

describe('RoomSequencer', () => {
  let delivered: Message[];
  let stored: Message[];
  let sequencer: RoomSequencer;
  let gaps: GapReport[];
  const seqs = (room = 'r') => delivered.filter((m) => m.room === room).map((m) => m.seq);

  beforeEach(() => {
    vi.useFakeTimers();
    delivered = [];
    stored = [];
    gaps = [];
    sequencer = new RoomSequencer({
      deliver: (m) => delivered.push(m),
      fetchAfter: async (room, after) => stored.filter((m) => m.room === room && m.seq > after),
      gapTimeoutMs: 250,
      onGap: (gap) => gaps.push(gap),
    });
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
});
