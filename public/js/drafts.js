// What was typed but not yet sent, one draft per room, kept in this browser per user so a reload or
// a trip to another room does not lose it, and a draft can only ever be sent to its own room.
import { nameKey } from './env.js';

export class Drafts {
  /** @param {string} userName  drafts are kept apart per signed-in user */
  constructor(userName) {
    this.key = `chorus.drafts.${nameKey(userName)}`;
    this.byRoom = load(this.key);
  }

  /** The draft for `room`, or ''. */
  get(room) {
    return this.byRoom.get(room) ?? '';
  }

  /** Keeps `text` as `room`'s draft; an empty or blank text removes it. */
  set(room, text) {
    if (text.trim()) this.byRoom.set(room, text);
    else if (!this.byRoom.delete(room)) return;
    try {
      localStorage.setItem(this.key, JSON.stringify(Object.fromEntries(this.byRoom)));
    } catch {
      // Storage full or refused: the draft still lives for this page's lifetime.
    }
  }
}

/** The saved drafts, ignoring anything that is not a room name mapped to a string. */
function load(key) {
  try {
    const saved = JSON.parse(localStorage.getItem(key) ?? '{}');
    return new Map(Object.entries(saved).filter(([, text]) => typeof text === 'string'));
  } catch {
    return new Map();
  }
}
