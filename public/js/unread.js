// Unread and mention counts per room, as the server keeps them (GET /api/rooms, room:read) and as
// live events add to them (a post, room:activity, mention); and the reads this page reports: while a
// room is in view and the tab is visible, `room:read` with the latest seq seen, debounced, so the
// user's other tabs and devices clear their badges too.
const READ_DEBOUNCE_MS = 400;

export class Unread {
  /** @param {{ connection, onChange: () => void }} deps  onChange: some count changed */
  constructor({ connection, onChange }) {
    this.connection = connection;
    this.onChange = onChange;
    /** room -> { unread, mentions, lastSeq, readSeq } */
    this.byRoom = new Map();
    this.pendingRead = new Map(); // room -> timer
  }

  entry(room) {
    let entry = this.byRoom.get(room);
    if (!entry) this.byRoom.set(room, (entry = { unread: 0, mentions: 0, lastSeq: 0, readSeq: 0 }));
    return entry;
  }

  get(room) {
    return this.byRoom.get(room) ?? { unread: 0, mentions: 0 };
  }

  /** The server's counts for the rooms of a room list answer: one change for them all. */
  replaceAll(summaries) {
    for (const s of summaries) this.#take(s.name, s);
    this.onChange();
  }

  /** The server's counts for one room (a list entry, a room:read ack or event). */
  set(room, counts) {
    this.#take(room, counts);
    this.onChange();
  }

  #take(room, { unread, mentions, lastSeq, seq }) {
    const entry = this.entry(room);
    Object.assign(entry, { unread, mentions });
    if (lastSeq !== undefined) entry.lastSeq = Math.max(entry.lastSeq, lastSeq);
    if (seq !== undefined) entry.readSeq = Math.max(entry.readSeq, seq);
  }

  /** A post by someone else at `seq`, not read here; one already counted is not counted again. */
  post(room, seq) {
    if (this.#count(room, seq)) this.onChange();
  }

  /** Counts a post at `seq`; false when it was counted already, or read. */
  #count(room, seq) {
    const entry = this.entry(room);
    if (seq <= entry.lastSeq || seq <= entry.readSeq) return false;
    entry.lastSeq = seq;
    entry.unread += 1;
    return true;
  }

  /** A mention of this user at `seq`; `countPost`: no other event counts the post itself. */
  mention(room, seq, { countPost }) {
    const entry = this.entry(room);
    if (seq <= entry.readSeq) return;
    if (countPost) this.#count(room, seq);
    entry.mentions += 1;
    this.onChange();
  }

  /** The user reads `room` up to `seq` here: cleared now, and told to the server shortly. */
  read(room, seq) {
    const entry = this.entry(room);
    const news = entry.unread > 0 || entry.mentions > 0;
    entry.unread = 0;
    entry.mentions = 0;
    if (news) this.onChange();
    // Reported once even at seq 0: a public room's count starts at the user's first read of it.
    if ((seq <= entry.readSeq && entry.reported) || !this.connection.connected) return;
    entry.reported = true;
    window.clearTimeout(this.pendingRead.get(room));
    this.pendingRead.set(room, window.setTimeout(() => void this.report(room, seq), READ_DEBOUNCE_MS));
  }

  async report(room, seq) {
    this.pendingRead.delete(room);
    try {
      const ack = await this.connection.request('room:read', { room, seq });
      this.entry(room).readSeq = Math.max(this.entry(room).readSeq, ack.seq);
    } catch {
      // The next read reports it again; the badge here is cleared already.
    }
  }

  forget(room) {
    this.byRoom.delete(room);
    this.onChange();
  }
}
