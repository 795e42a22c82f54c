// One room's messages: a scrolling log of each message's latest state, kept by id in seq order,
// grouped by author, with day dividers, system lines, older pages added on top without moving what
// the reader sees, and this user's unsent messages at the bottom. It also keeps the room's cursor:
// the highest updatedSeq seen in the room's log, where a reconnect's `sinceSeq` join starts.
import { avatar, dayKey, dayLabel, el, richText, timeElement } from './dom.js';
import { nameKey, sameName } from './env.js';
import { messageItem } from './message-item.js';
import { withLatestPhoto } from './people.js';

/** Consecutive messages by one author closer than this share one header. */
const GROUP_GAP_MS = 5 * 60 * 1000;
/** Within this many pixels of an end counts as being at that end. */
const NEAR_PX = 48;
const NEAR_TOP_PX = 300;

export class Timeline {
  /**
   * @param {{ room: string, me: { name: string }, onNearTop: () => void, onBottom: () => void }} options
   */
  constructor({ room, me, onNearTop, onBottom }) {
    this.room = room;
    this.me = me;
    /** id -> { message, item }: each message's latest state and its list item. */
    this.byId = new Map();
    this.idBySeq = new Map(); // seq -> id
    this.seqs = []; // ascending
    /** Whether the room's first join has answered (later joins ask for what changed after `cursor`). */
    this.loaded = false;
    /** The highest updatedSeq seen in the room's log (live events and joins, never acks or pages, which may skip ahead). */
    this.cursor = 0;
    this.hasMore = false;
    /** Counts `reset`s, so a page of older messages asked for before one is not added after it. */
    this.generation = 0;
    this.start = el('p', { class: 'timeline-start' });
    this.list = el('ol', { class: 'messages' });
    this.pending = el('ol', { class: 'messages pending-list', 'aria-label': 'Messages waiting to be sent' });
    this.element = el(
      'div',
      { class: 'timeline', role: 'log', 'aria-label': `Messages in #${room}`, tabindex: '0', dataset: { room } },
      this.start,
      this.list,
      this.pending,
    );
    this.element.addEventListener('scroll', () => {
      if (this.element.scrollTop < NEAR_TOP_PX) onNearTop();
      if (this.isAtBottom()) onBottom();
    }, { passive: true });
    this.setLoadingOlder(false);
  }

  get oldestSeq() {
    return this.seqs[0];
  }

  /** The message `id`'s latest state held here, if any. */
  get(id) {
    return this.byId.get(id)?.message;
  }

  /** Moves the cursor on past `message`, which came through the room's log. */
  advanceCursor(message) {
    this.cursor = Math.max(this.cursor, message.updatedSeq);
  }

  /**
   * Puts `message` in (a new one in seq order) or replaces the state held for its id, unless the held
   * one is as new (a late repeat). A message older than the oldest held while older history is not
   * loaded is left out, unless it comes with such a page (`paged`): paging loads its current state.
   * Returns 'added', 'changed' or null.
   */
  upsert(message, { paged = false } = {}) {
    const held = this.byId.get(message.id);
    if (held) {
      if (held.message.updatedSeq >= message.updatedSeq) return null;
      const item = messageItem(message, this.me);
      carryOver(held.item, item, message);
      held.item.replaceWith(item);
      this.byId.set(message.id, { message, item });
      regroup(item);
      if (item.nextElementSibling) regroup(item.nextElementSibling);
      return 'changed';
    }
    if (!paged && this.hasMore && this.oldestSeq !== undefined && message.seq < this.oldestSeq) return null;
    const index = insertionIndex(this.seqs, message.seq);
    const item = messageItem(message, this.me);
    const next = this.itemOf(this.idBySeq.get(this.seqs[index]));
    // A newer message goes after any system lines shown since; an older one right before its successor.
    this.list.insertBefore(item, next ?? null);
    this.seqs.splice(index, 0, message.seq);
    this.idBySeq.set(message.seq, message.id);
    this.byId.set(message.id, { message, item });
    regroup(item);
    if (next) regroup(next);
    return 'added';
  }

  /**
   * Forgets every message and system line (the unsent messages stay): the room's history is another
   * one now (the server's store was restored from a backup), to be loaded afresh.
   */
  reset() {
    this.byId.clear();
    this.idBySeq.clear();
    this.seqs = [];
    this.cursor = 0;
    this.hasMore = false;
    this.memberRun = undefined;
    this.list.replaceChildren();
    this.generation += 1;
  }

  /** This user's newest message that is not deleted, if one is loaded. */
  lastOwn() {
    for (let i = this.seqs.length - 1; i >= 0; i--) {
      const message = this.get(this.idBySeq.get(this.seqs[i]));
      if (!message.deleted && sameName(message.user.name, this.me.name)) return message;
    }
    return undefined;
  }

  /** Draws message `id` afresh from its state (closing an editor or picker open on it). */
  redraw(id) {
    const held = this.byId.get(id);
    if (!held) return;
    const item = messageItem(held.message, this.me);
    held.item.replaceWith(item);
    this.byId.set(id, { ...held, item });
    regroup(item);
  }

  /** The list item of message `id`, if loaded. */
  itemOf(id) {
    return this.byId.get(id)?.item;
  }

  /** Scrolls message `id` into view, focuses it and flashes it; false when it is not loaded. */
  reveal(id) {
    const item = this.itemOf(id);
    if (!item) return false;
    item.scrollIntoView({ block: 'center' });
    item.focus({ preventScroll: true });
    item.classList.remove('flash-highlight');
    void item.offsetWidth; // restart the animation when shown twice in a row
    item.classList.add('flash-highlight');
    item.addEventListener('animationend', () => item.classList.remove('flash-highlight'), { once: true });
    return true;
  }

  /** Adds a page of older messages without moving what the reader is looking at. */
  addOlder(messages, hasMore) {
    const fromBottom = this.element.scrollHeight - this.element.scrollTop;
    for (const message of messages) this.upsert(message, { paged: true });
    this.hasMore = hasMore;
    this.setLoadingOlder(false);
    this.element.scrollTop = this.element.scrollHeight - fromBottom;
  }

  /**
   * "alice joined #room" or "bob left #room" after the newest message. Arrivals and departures with
   * no message between them share one line ("alice, bob and 3 others joined #room"), which counts
   * only the net change: someone who leaves and comes back within it is not mentioned.
   */
  addMembership(change, user) {
    if (this.memberRun?.item !== this.list.lastElementChild) this.memberRun = undefined;
    this.memberRun ??= { item: null, joined: new Map(), left: new Map() };
    const run = this.memberRun;
    const key = nameKey(user.name);
    const [same, opposite] = change === 'joined' ? [run.joined, run.left] : [run.left, run.joined];
    if (!opposite.delete(key)) same.set(key, user.name);
    const text = membershipText([...run.joined.values()], [...run.left.values()], this.room);
    if (!text) {
      run.item?.remove();
      this.memberRun = undefined;
      return;
    }
    const item = el('li', { class: 'system', title: [...run.joined.values(), ...run.left.values()].join(', ') }, el('span', {}, text), timeElement(Date.now(), 'system-time'));
    if (run.item) run.item.replaceWith(item);
    else this.list.append(item);
    run.item = item;
  }

  setLoadingOlder(loading) {
    this.loadingOlder = loading;
    this.start.textContent = loading
      ? 'Loading earlier messages…'
      : this.hasMore || !this.loaded
        ? ''
        : `This is the very beginning of #${this.room}.`;
  }

  /** Whether the log cannot be scrolled far enough to reach older pages by scrolling. */
  wantsOlder() {
    return this.hasMore && !this.loadingOlder && this.element.scrollHeight - this.element.clientHeight < NEAR_TOP_PX;
  }

  isAtBottom() {
    const { scrollHeight, scrollTop, clientHeight } = this.element;
    return scrollHeight - scrollTop - clientHeight < NEAR_PX;
  }

  scrollToBottom() {
    this.element.scrollTop = this.element.scrollHeight;
  }

  /** Shows or updates an unsent message (an outbox entry). */
  showPending(entry, onRetry, onDiscard) {
    const status =
      entry.state === 'failed'
        ? el('span', { class: 'pending-status failed' }, `Not sent: ${entry.error}`)
        : el('span', { class: 'pending-status' }, entry.state === 'sending' ? 'Sending…' : 'Waiting for the connection…');
    const actions =
      entry.state === 'failed' &&
      el(
        'span',
        { class: 'pending-actions' },
        el('button', { type: 'button', class: 'link-button', onclick: () => onRetry(entry) }, 'Retry'),
        el('button', { type: 'button', class: 'link-button', onclick: () => onDiscard(entry) }, 'Discard'),
      );
    const item = el(
      'li',
      { class: 'msg mine pending', dataset: { clientId: entry.clientId } },
      el('div', { class: 'msg-gutter' }, avatar(withLatestPhoto(this.me))),
      el(
        'div',
        { class: 'msg-body' },
        el('div', { class: 'msg-meta' }, el('span', { class: 'msg-author' }, this.me.name), status, actions),
        el('div', { class: 'msg-text' }, richText(entry.text)),
      ),
    );
    const shown = this.pendingItem(entry.clientId);
    if (shown) shown.replaceWith(item);
    else this.pending.append(item);
  }

  removePending(clientId) {
    this.pendingItem(clientId)?.remove();
  }

  pendingItem(clientId) {
    return [...this.pending.children].find((item) => item.dataset.clientId === clientId);
  }
}

const MAX_NAMED = 2;

/** "alice", "alice and bob", "alice, bob and carol", "alice, bob and 3 others". */
function nameList(names) {
  if (names.length <= MAX_NAMED + 1) return names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
  return `${names.slice(0, MAX_NAMED).join(', ')} and ${names.length - MAX_NAMED} others`;
}

function membershipText(joined, left, room) {
  const parts = [joined.length > 0 && `${nameList(joined)} joined`, left.length > 0 && `${nameList(left)} left`].filter(Boolean);
  return parts.length ? `${parts.join(', ')} #${room}` : '';
}

function insertionIndex(sorted, seq) {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (sorted[mid] < seq) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * What stays from a message's old item in its new one: an open inline editor (so a reaction
 * arriving mid-edit loses nothing) and an open reaction picker, unless the message is now deleted.
 */
function carryOver(from, to, message) {
  if (message.deleted) return;
  const editor = from.querySelector('.msg-editor');
  if (editor) to.querySelector('.msg-content').replaceWith(editor);
  const picker = from.querySelector('.emoji-picker');
  if (picker) to.append(picker);
  if (from.classList.contains('show-actions')) to.classList.add('show-actions');
}

/** Sets whether `item` continues its author's group and whether a new day starts with it. */
function regroup(item) {
  if (!item.classList.contains('msg')) return;
  const ts = Number(item.dataset.ts);
  const previous = item.previousElementSibling;
  const continued =
    previous?.classList.contains('msg') &&
    previous.dataset.author === item.dataset.author &&
    ts - Number(previous.dataset.ts) < GROUP_GAP_MS &&
    dayKey(ts) === dayKey(Number(previous.dataset.ts));
  item.classList.toggle('continued', Boolean(continued));

  let earlier = previous;
  while (earlier && !earlier.classList.contains('msg')) earlier = earlier.previousElementSibling;
  const newDay = !earlier || dayKey(Number(earlier.dataset.ts)) !== dayKey(ts);
  const divider = item.querySelector(':scope > .day-divider');
  if (newDay && !divider) item.prepend(el('div', { class: 'day-divider', role: 'separator' }, el('span', {}, dayLabel(ts))));
  if (!newDay) divider?.remove();
}
