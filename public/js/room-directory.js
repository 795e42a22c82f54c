// Every room this user may see with how many are online in it (GET /api/rooms: the public rooms, and
// the private rooms and DMs they are in, with their kind), fetched again every 15 s while connected;
// room:added and room:removed change it in between. From a lost connection to the next answer the
// counts are not known.
import { api } from './api.js';

const REFRESH_MS = 15_000;

export class RoomDirectory {
  /**
   * @param {{ connection: { connected: boolean }, onChange: () => void, onList: (rooms) => void }} deps
   *   onChange: the list changed; onList: a fresh list arrived from the server (with unread counts)
   */
  constructor({ connection, onChange, onList }) {
    this.onChange = onChange;
    this.onList = onList;
    /** name -> the room's entry: { name, online, lastSeq, unread, mentions, private?, owner?, dm? } */
    this.byName = new Map();
    /** Whether the counts are fresh (false from a lost connection to the next refresh). */
    this.fresh = true;
    window.setInterval(() => connection.connected && this.refresh(), REFRESH_MS);
  }

  async refresh() {
    try {
      const { rooms } = await api('GET', '/api/rooms');
      this.byName = new Map(rooms.map((r) => [r.name, r]));
      this.fresh = true;
      this.onList(rooms);
      this.onChange();
    } catch {
      // Shown again on the next refresh; the joined rooms are listed regardless.
    }
  }

  /** The connection is lost: the counts are stale until the next refresh. */
  markStale() {
    this.fresh = false;
  }

  /** A room now in the user's list (room:added, or an ack that made it). */
  add(entry) {
    this.byName.set(entry.name, entry);
    this.onChange();
  }

  remove(name) {
    if (this.byName.delete(name)) this.onChange();
  }

  entry(name) {
    return this.byName.get(name);
  }

  names() {
    return [...this.byName.keys()];
  }

  /** How many are online in room `name` (0 when it is not listed); null while not known. */
  onlineIn(name) {
    return this.fresh ? (this.byName.get(name)?.online ?? 0) : null;
  }
}
