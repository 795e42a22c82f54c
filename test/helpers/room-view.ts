/**
 * A client's copy of one room, kept as docs/protocol.md (the room log) asks clients to keep it: the
 * join's history, recovered pages and the live `message` and `message:changed` events merged by id,
 * never replacing a held state by one with a lower `updatedSeq`, with the highest `updatedSeq` seen as
 * the cursor a reconnect recovers from. The room log tests compare these copies with each other and
 * with what a fresh join and the HTTP history say, and check the order the live events came in. A view
 * holds its whole room (the tests' rooms are shorter than a join's history, or recovered from seq 0),
 * so the page's rule for changes to unloaded older history never comes up.
 */
import type { Socket } from 'socket.io-client';
import type { Message } from '../../src/chat/messages.js';
import { request, type Browser } from '../../dev/harness.js';

export interface LiveEvent {
  event: 'message' | 'message:changed';
  message: Message;
}

interface JoinAck {
  ok: boolean;
  history: Message[];
  hasMore: boolean;
}

export class RoomView {
  readonly #messages = new Map<string, Message>();
  /** Every live event for the room, as it arrived, on every socket followed. */
  readonly live: LiveEvent[] = [];
  /** The highest `updatedSeq` seen. */
  cursor = 0;

  constructor(readonly room: string) {}

  /** Takes `socket`'s live events for the room from now on (follow before joining, so none is missed). */
  follow(socket: Socket): this {
    socket.on('message', (message: Message) => {
      if (message.room === this.room) this.#arrived({ event: 'message', message });
    });
    socket.on('message:changed', ({ room, message }: { room: string; message: Message }) => {
      if (room === this.room) this.#arrived({ event: 'message:changed', message });
    });
    return this;
  }

  /**
   * Joins on `socket`: a plain join takes the recent history; `recover` joins with `sinceSeq` = the
   * cursor and pages on from the last `updatedSeq` of each page while `hasMore`. Resolves with the pages
   * joined.
   */
  async join(socket: Socket, { recover = false } = {}): Promise<number> {
    let sinceSeq = recover ? this.cursor : undefined;
    for (let pages = 1; ; pages++) {
      const ack = await request<JoinAck>(socket, 'room:join', sinceSeq === undefined ? { room: this.room } : { room: this.room, sinceSeq });
      if (!ack.ok) throw new Error(`room:join ${this.room} failed: ${JSON.stringify(ack)}`);
      ack.history.forEach((message) => this.merge(message));
      if (sinceSeq === undefined || !ack.hasMore) return pages;
      sinceSeq = ack.history.at(-1)!.updatedSeq;
    }
  }

  merge(message: Message): void {
    const held = this.#messages.get(message.id);
    if (!held || held.updatedSeq < message.updatedSeq) this.#messages.set(message.id, message);
    this.cursor = Math.max(this.cursor, message.updatedSeq);
  }

  /** The room as this client shows it: every message held, ascending by seq. */
  messages(): Message[] {
    return [...this.#messages.values()].sort((a, b) => a.seq - b.seq);
  }

  /** The `updatedSeq` of each live event, in arrival order. */
  liveSeqs(): number[] {
    return this.live.map((e) => e.message.updatedSeq);
  }

  #arrived(event: LiveEvent): void {
    this.live.push(event);
    this.merge(event.message);
  }
}

/** Emits a room log event (`message:send`, `message:edit`, …) and resolves with the message its ack carries; an error ack rejects, naming it. */
export async function act(socket: Socket, event: string, payload: Record<string, unknown>): Promise<Message> {
  const ack = await request<{ ok: boolean; message: Message; error?: unknown }>(socket, event, payload);
  if (!ack.ok) throw new Error(`${event} ${JSON.stringify(payload)} was refused: ${JSON.stringify(ack.error)}`);
  return ack.message;
}

/** The room's last seq, as `GET /api/rooms` says (0 for a room not made yet). */
export async function lastSeqOf(browser: Browser, room: string): Promise<number> {
  const res = await browser.request<{ rooms: { name: string; lastSeq: number }[] }>('GET', '/api/rooms');
  return res.body.rooms.find((r) => r.name === room)?.lastSeq ?? 0;
}

/** `GET /api/rooms/:room/messages`, every page of it (oldest first). */
export async function historyOverHttp(browser: Browser, room: string): Promise<Message[]> {
  const pages: Message[][] = [];
  for (let before: number | undefined; ; ) {
    const res = await browser.request<{ messages: Message[]; hasMore: boolean }>(
      'GET',
      `/api/rooms/${room}/messages?limit=100${before === undefined ? '' : `&before=${before}`}`,
    );
    if (res.status !== 200) throw new Error(`history of ${room}: ${res.status} ${JSON.stringify(res.body)}`);
    pages.unshift(res.body.messages);
    if (!res.body.hasMore) return pages.flat();
    before = res.body.messages[0]!.seq;
  }
}

/** 1, 2, …, n: the seqs a socket that followed a room from its start receives. */
export const seqsUpTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
