// "alice is typing…": telling the room while this user types, and summarising who else is.
import { nameKey } from './env.js';

/** While typing, "typing: true" is repeated this often, so a receiver can expire a silent typist. */
const REPEAT_MS = 3_000;
/** With no keystroke for this long, this user stops typing. */
const IDLE_MS = 4_000;
/** A typist not heard from for this long is dropped (their "false" may have been lost). */
const EXPIRE_MS = 6_000;

/** Sends `typing` events for the composer. `send(room, typing)` must not throw. */
export class TypingSender {
  constructor(send) {
    this.send = send;
    this.room = null;
    this.lastSent = 0;
    this.idleTimer = undefined;
  }

  /** Call on each keystroke in `room`; `hasText` says whether the composer holds anything. */
  input(room, hasText) {
    if (!hasText) return this.stop();
    if (this.room !== room) this.stop();
    const now = Date.now();
    if (this.room !== room || now - this.lastSent > REPEAT_MS) {
      this.room = room;
      this.lastSent = now;
      this.send(room, true);
    }
    window.clearTimeout(this.idleTimer);
    this.idleTimer = window.setTimeout(() => this.stop(), IDLE_MS);
  }

  stop() {
    window.clearTimeout(this.idleTimer);
    if (this.room === null) return;
    this.send(this.room, false);
    this.room = null;
  }
}

/** Who is typing in one room. */
export class Typists {
  constructor(onChange) {
    this.onChange = onChange;
    this.byName = new Map(); // lower-cased name -> { name, timer }
  }

  set(user, typing) {
    const key = nameKey(user.name);
    window.clearTimeout(this.byName.get(key)?.timer);
    if (typing) this.byName.set(key, { name: user.name, timer: window.setTimeout(() => this.set(user, false), EXPIRE_MS) });
    else if (!this.byName.delete(key)) return;
    this.onChange();
  }

  clear() {
    for (const { timer } of this.byName.values()) window.clearTimeout(timer);
    this.byName.clear();
    this.onChange();
  }

  summary() {
    return summarise([...this.byName.values()].map((t) => t.name));
  }
}

function summarise(names) {
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  if (names.length === 3) return `${names[0]}, ${names[1]} and ${names[2]} are typing…`;
  return 'Several people are typing…';
}
