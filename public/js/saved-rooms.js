// Which rooms this user had joined, remembered per user in this browser so a reload rejoins them.
import { DEFAULT_ROOM, nameKey, normalizeRoom } from './env.js';

export class SavedRooms {
  /** @param {string} userName  kept apart per signed-in user */
  constructor(userName) {
    this.key = `chorus.rooms.${nameKey(userName)}`;
  }

  /** The saved rooms, the default room first; anything that is not a room name is skipped. */
  load() {
    try {
      const names = JSON.parse(localStorage.getItem(this.key) ?? '[]');
      return [DEFAULT_ROOM, ...names.map(normalizeRoom).filter(Boolean)];
    } catch {
      return [DEFAULT_ROOM];
    }
  }

  /** @param {string[]} names  the joined rooms; the default room is always joined, so not saved */
  save(names) {
    localStorage.setItem(this.key, JSON.stringify(names.filter((name) => name !== DEFAULT_ROOM)));
  }
}
