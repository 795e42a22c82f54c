// Every room on the server with how many are online in it (GET /api/rooms), fetched again every
// 15 s while connected. From a lost connection to the next answer the counts are not known.
import { api } from './api.js';

const REFRESH_MS = 15_000;

export class RoomDirectory {
  /**
   * @param {{ connection: { connected: boolean }, onChange: () => void }} deps  onChange: a fresh list arrived
   */
  constructor({ connection, onChange }) {
    this.onChange = onChange;
    this.onlineByRoom = new Map();
    /** Whether the counts are fresh (false from a lost connection to the next refresh). */
    this.fresh = true;
    window.setInterval(() => connection.connected && this.refresh(), REFRESH_MS);
  }

  async refresh() {
    try {
      const { rooms } = await api('GET', '/api/rooms');
      this.onlineByRoom = new Map(rooms.map((r) => [r.name, r.online]));
      this.fresh = true;
      this.onChange();
    } catch {
      // Shown again on the next refresh; the joined rooms are listed regardless.
    }
  }

  /** The connection is lost: the counts are stale until the next refresh. */
  markStale() {
    this.fresh = false;
  }

  names() {
    return [...this.onlineByRoom.keys()];
  }

  /** How many are online in room `name` (0 when it is not listed); null while not known. */
  onlineIn(name) {
    return this.fresh ? (this.onlineByRoom.get(name) ?? 0) : null;
  }
}
