/**
 * Rooms of the embedded store: their kind, owner and members. Making a private room or a DM is one
 * immediate transaction (the room row and its first members), so two replicas sharing the file that
 * make the same room at once serialise on SQLite's lock and one of them makes it.
 */
import type Database from 'better-sqlite3';
import { nameKey, sameName } from '../../identity/name-key.js';
import type { MemberRoomRecord, RoomKind, RoomRecord, RoomRepository } from '../port.js';
import { guard } from './guard.js';
import type { Durably } from './embedded-store.js';

interface RoomRow {
  name: string;
  last_seq: number;
  kind: RoomKind;
  owner: string | null;
}

const toRoom = (row: RoomRow): RoomRecord => ({ name: row.name, lastSeq: row.last_seq, kind: row.kind, owner: row.owner });

export function roomRepository(db: Database.Database, durably: Durably): RoomRepository {
  const insert = db.prepare<[string, number, RoomKind, string | null]>(
    'INSERT OR IGNORE INTO rooms (name, created_at, kind, owner) VALUES (?, ?, ?, ?)',
  );
  const byName = db.prepare<[string], RoomRow>('SELECT name, last_seq, kind, owner FROM rooms WHERE name = ?');
  const visibleTo = db.prepare<[string], RoomRow>(
    `SELECT name, last_seq, kind, owner FROM rooms
     WHERE kind = 'public' OR name IN (SELECT room FROM room_members WHERE member_key = ?) ORDER BY name`,
  );
  // Rowid order is the order members joined (one who leaves and comes back joins anew).
  const membersOf = db.prepare<[string], { name: string }>('SELECT name FROM room_members WHERE room = ? ORDER BY rowid');
  const membersOfRoomsOf = db.prepare<[string], { room: string; name: string }>(
    `SELECT room, name FROM room_members
     WHERE room IN (SELECT room FROM room_members WHERE member_key = ?) ORDER BY rowid`,
  );
  const isMember = db.prepare<[string, string], { found: number }>('SELECT 1 AS found FROM room_members WHERE room = ? AND member_key = ?');
  const addMember = db.prepare<[string, string, string]>('INSERT OR IGNORE INTO room_members (room, member_key, name) VALUES (?, ?, ?)');
  // Only a private room's members change after it is made; a DM is its two people for good.
  const addPrivateMember = db.prepare<[string, string, string, string]>(
    `INSERT OR IGNORE INTO room_members (room, member_key, name)
     SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM rooms WHERE name = ? AND kind = 'private')`,
  );
  const removePrivateMember = db.prepare<[string, string]>(
    `DELETE FROM room_members WHERE room = ? AND member_key = ? AND room IN (SELECT name FROM rooms WHERE kind = 'private')`,
  );

  /** Makes room `name` of `kind` with `members` unless a room has the name; returns the room there now. */
  const make = db.transaction((name: string, kind: RoomKind, owner: string | null, members: readonly string[]): RoomRow => {
    if (insert.run(name, Date.now(), kind, owner).changes === 1) {
      for (const member of members) addMember.run(name, nameKey(member), member);
    }
    return byName.get(name)!;
  });

  return {
    async ensure(name) {
      return guard(() => toRoom(make(name, 'public', null, [])));
    },
    async createPrivate(name, owner) {
      const room = await durably(() => make.immediate(name, 'private', owner, [owner]));
      return room.kind === 'private' && room.owner !== null && sameName(room.owner, owner) ? toRoom(room) : null;
    },
    async openDm(name, members) {
      return toRoom(await durably(() => make.immediate(name, 'dm', null, members)));
    },
    async find(name) {
      return guard(() => {
        const row = byName.get(name);
        return row ? toRoom(row) : null;
      });
    },
    async listFor(user) {
      return guard(() =>
        db.transaction((): MemberRoomRecord[] => {
          const key = nameKey(user);
          const members = new Map<string, string[]>();
          for (const { room, name } of membersOfRoomsOf.all(key)) {
            const list = members.get(room);
            if (list) list.push(name);
            else members.set(room, [name]);
          }
          return visibleTo.all(key).map((row) => ({ ...toRoom(row), members: members.get(row.name) ?? [] }));
        })(),
      );
    },
    async members(room) {
      return guard(() => membersOf.all(room).map((row) => row.name));
    },
    async isMember(room, user) {
      return guard(() => isMember.get(room, nameKey(user)) !== undefined);
    },
    async addMember(room, user) {
      return durably(() => addPrivateMember.run(room, nameKey(user), user, room).changes === 1);
    },
    async removeMember(room, user) {
      return durably(() => removePrivateMember.run(room, nameKey(user)).changes === 1);
    },
  };
}
