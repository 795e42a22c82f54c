// The rooms this user has open and the one in view. Each room keeps its timeline, its members, who
// is typing in it and, for a private room or DM, its users; this joins it (the first time for the latest history, after
// a reconnect for every message changed since) and puts each incoming message or change, arrival and
// departure into it.
// Each room the user opens stays joined (its posts keep arriving live) until they leave it, and
// the joined rooms are remembered per user in this browser. Also owns the room in view's timeline
// area and its "New messages" pill.
import { DEFAULT_ROOM, nameKey, sameName } from './env.js';
import { loadOlder } from './older-messages.js';
import { learnUser } from './people.js';
import { SavedRooms } from './saved-rooms.js';
import { Timeline } from './timeline.js';
import { Typists } from './typing.js';

export class Rooms {
  /**
   * @param {{
   *   me: { name: string },
   *   connection: { connected: boolean, request(event: string, payload: unknown): Promise<any> },
   *   onChange: (room) => void,
   *   onTyping: () => void,
   *   onJoinFailed: (room, error: Error) => void,
   *   onPost: (room, message) => void,
   * }} deps
   *   onChange: what the room list shows of `room` changed, and its header and members if it is in view;
   *   onTyping: who is typing in the room in view changed (or another room came into view);
   *   onJoinFailed: the room in view could not be joined;
   *   onPost: someone else's new post arrived live (unread.js decides whether it is read)
   */
  constructor({ me, connection, onChange, onTyping, onJoinFailed, onPost }) {
    this.onPost = onPost;
    this.me = me;
    this.connection = connection;
    this.onChange = onChange;
    this.onTyping = onTyping;
    this.onJoinFailed = onJoinFailed;
    this.byName = new Map();
    /** The room in view; null until the first `open`. */
    this.active = null;
    this.saved = new SavedRooms(me.name);
    this.timelines = document.getElementById('timelines');
    this.pill = document.getElementById('new-messages');
    this.pill.addEventListener('click', () => this.showLatest());
    for (const name of this.saved.load()) this.ensure(name).joined = true;
  }

  get(name) {
    return this.byName.get(name);
  }

  /** The state of room `name`, made (not joined, its timeline hidden) the first time. */
  ensure(name) {
    let room = this.byName.get(name);
    if (room) return room;
    room = {
      name,
      joined: false,
      /** 'public', 'private' or 'dm', once its join answered. */
      kind: undefined,
      /** The server's history epoch its last join named: the timeline's seqs are of that history. */
      epoch: undefined,
      /** While a join waits for its answer: the posts and changes that arrived meanwhile. */
      liveDuringJoin: undefined,
      /** The users of a private room or DM (its join's and its owner's changes' `members`), by name key. */
      roster: new Map(),
      members: new Map(),
      /** Whether `members` is the server's current answer rather than what was known before a lost connection. */
      membersFresh: false,
      timeline: new Timeline({
        room: name,
        me: this.me,
        onNearTop: () => void loadOlder(room),
        onBottom: () => room === this.active && this.hidePill(),
      }),
      typists: new Typists(() => room === this.active && this.onTyping()),
    };
    room.timeline.element.hidden = true;
    this.timelines.append(room.timeline.element);
    this.byName.set(name, room);
    return room;
  }

  /** Every room with state here, joined or not (a left room's unsent message keeps one). */
  all() {
    return [...this.byName.values()];
  }

  joined() {
    return this.all().filter((room) => room.joined);
  }

  /** Brings room `name` into view, joining it if it is not yet; null when it is in view already. */
  open(name) {
    const room = this.ensure(name);
    if (this.active === room) return null;
    if (this.active) this.active.timeline.element.hidden = true;
    this.active = room;
    room.timeline.element.hidden = false;
    this.hidePill();
    if (!room.joined) {
      room.joined = true;
      this.save();
      if (this.connection.connected) room.joining = this.join(room);
    }
    this.onTyping();
    return room;
  }

  /**
   * Forgets room `name` (the default room cannot be left) and returns it, or null. Telling the
   * server, and bringing another room into view if this one was, is the caller's.
   */
  leave(name) {
    const room = this.byName.get(name);
    if (!room || name === DEFAULT_ROOM) return null;
    room.joined = false;
    this.save();
    room.timeline.element.remove();
    this.byName.delete(name);
    return room;
  }

  /** Resolves once `room`'s first join has answered (or failed). */
  whenLoaded(room) {
    return room.timeline.loaded ? Promise.resolve() : (room.joining ?? Promise.resolve());
  }

  /** Joins every joined room again, as after a reconnect. */
  rejoinAll() {
    return Promise.all(this.joined().map((room) => this.join(room)));
  }

  /**
   * Joins `room` (again): the first time for the latest history, later for every message changed
   * since the cursor, joining on from the last one received while the server says there is more.
   * A rejoin names the history epoch its cursor belongs to; when the server's is another (a backup
   * was restored), the server answers with a fresh history (`resync`), which replaces the timeline.
   */
  async join(room) {
    let fresh = !room.timeline.loaded;
    let sinceSeq = fresh ? undefined : room.timeline.cursor;
    try {
      for (;;) {
        const since = sinceSeq === undefined ? {} : { sinceSeq, ...(room.epoch && { epoch: room.epoch }) };
        // Live posts and changes that arrive before the answer are of the server's history: a resync keeps them.
        const live = (room.liveDuringJoin = []);
        const ack = await this.connection.request('room:join', { room: room.name, ...since }).finally(() => (room.liveDuringJoin = undefined));
        room.epoch = ack.epoch;
        ack.online.forEach(learnUser);
        room.members = new Map(ack.online.map((u) => [nameKey(u.name), u]));
        room.membersFresh = true;
        room.kind = ack.kind;
        if (ack.members) this.setRoster(room, ack.members);
        if (ack.resync) {
          room.timeline.reset();
          fresh = true;
        }
        if (fresh) room.timeline.hasMore = ack.hasMore;
        for (const message of ack.history) this.receive(message, { countUnread: !fresh, fromLog: true });
        if (ack.resync) for (const message of live) this.receive(message, { countUnread: false, fromLog: true });
        if (fresh || !ack.hasMore || ack.history.length === 0) break;
        sinceSeq = ack.history.at(-1).updatedSeq;
      }
      room.timeline.loaded = true;
      room.timeline.setLoadingOlder(false);
      if (fresh && room === this.active) {
        room.timeline.scrollToBottom();
        if (room.timeline.wantsOlder()) void loadOlder(room);
      }
      this.onChange(room);
    } catch (err) {
      if (room === this.active) this.onJoinFailed(room, err);
    }
  }

  /**
   * The connection is lost: who is in each room, and who types there, is not known from here until
   * each room's join answers again. Nothing is redrawn; the caller does that.
   */
  markStale() {
    for (const room of this.byName.values()) {
      room.typists.clear();
      room.membersFresh = false;
    }
  }

  /**
   * Puts `message` (new, or a changed state) into its room (if open), keeping the reader at the
   * bottom or telling them of a new one. `fromLog`: it came through the room's log (a live event or
   * a join), so the room's cursor moves past it; an ack's copy may overtake the log and does not.
   */
  receive(message, { countUnread = true, fromLog = false } = {}) {
    const room = this.byName.get(message.room);
    if (!room) return;
    learnUser(message.user);
    if (fromLog) room.timeline.advanceCursor(message);
    room.liveDuringJoin?.push(message);
    const pinned = room.timeline.isAtBottom();
    const result = room.timeline.upsert(message);
    if (!result) return;
    if (result === 'changed') {
      if (room === this.active && pinned) room.timeline.scrollToBottom();
      return;
    }
    room.typists.set(message.user, false);
    const mine = sameName(message.user.name, this.me.name);
    if (room === this.active) {
      if (pinned || mine) room.timeline.scrollToBottom();
      else this.pill.hidden = false;
    }
    if (!mine && countUnread && !message.deleted) this.onPost(room, message);
  }

  /** `members`: every user of the private room or DM `room`, as the server last listed them. */
  setRoster(room, members) {
    members.forEach(learnUser);
    room.roster = new Map(members.map((u) => [nameKey(u.name), u]));
  }

  memberJoined(name, user) {
    const room = this.byName.get(name);
    if (!room) return;
    learnUser(user);
    // Someone already listed is not news: a return the server could not tell from an arrival (it
    // reached another replica before word of the departure did).
    const news = !room.members.has(nameKey(user.name)) && !sameName(user.name, this.me.name);
    room.members.set(nameKey(user.name), user);
    if (news) this.addMembershipLine(room, 'joined', user);
    this.onChange(room);
  }

  memberLeft(name, user) {
    const room = this.byName.get(name);
    if (!room || !room.members.delete(nameKey(user.name))) return;
    room.typists.set(user, false);
    this.addMembershipLine(room, 'left', user);
    this.onChange(room);
  }

  typing(name, user, typing) {
    if (!sameName(user.name, this.me.name)) this.byName.get(name)?.typists.set(user, typing);
  }

  /** Scrolls the room in view to its newest message. */
  showLatest() {
    this.active?.timeline.scrollToBottom();
    this.hidePill();
  }

  addMembershipLine(room, change, user) {
    const pinned = room.timeline.isAtBottom();
    room.timeline.addMembership(change, user);
    if (room === this.active && pinned) room.timeline.scrollToBottom();
  }

  hidePill() {
    this.pill.hidden = true;
  }

  save() {
    this.saved.save(this.joined().map((room) => room.name));
  }
}
