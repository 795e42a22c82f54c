/**
 * Rooms of the MongoDB store: their kind, owner and members, all in the room's one document, so making
 * a private room or a DM is one upsert on its name: `$setOnInsert` makes it only when no room has the
 * name, and the unique `_id` lets one of several racing creators, on any replica, insert it.
 */
import { nameKey, sameName } from '../../identity/name-key.js';
import type { RoomKind, RoomRepository } from '../port.js';
import { roomMember as member, toRoom } from './documents.js';
import { guard, onDuplicateKey } from './guard.js';
import type { Models, RoomDoc } from './models.js';

/** Rooms anyone may read; a room without a kind is from before private conversations, so public too. */
const publicRoom = { kind: { $nin: ['private', 'dm'] satisfies RoomKind[] } };

export function roomRepository({ Room }: Models): RoomRepository {
  /**
   * Makes room `name` of `kind` with `members` unless a room has the name, and returns the room there
   * now. Two replicas upserting at once can both try the insert; the loser's duplicate key means the
   * room exists, so it reads it.
   */
  const make = (name: string, kind: RoomKind, owner: string | null, members: readonly string[]): Promise<RoomDoc> =>
    onDuplicateKey(
      () =>
        Room.findOneAndUpdate(
          { _id: name },
          { $setOnInsert: { seq: 0, createdAt: Date.now(), kind, owner, ...(members.length > 0 ? { members: members.map(member) } : {}) } },
          { upsert: true, returnDocument: 'after' },
        )
          .orFail()
          .lean<RoomDoc>(),
      () => Room.findById(name).orFail().lean<RoomDoc>(),
    );

  return {
    ensure(name) {
      return guard(async () => toRoom(await make(name, 'public', null, [])));
    },
    createPrivate(name, owner) {
      return guard(async () => {
        const room = toRoom(await make(name, 'private', owner, [owner]));
        return room.kind === 'private' && room.owner !== null && sameName(room.owner, owner) ? room : null;
      });
    },
    openDm(name, members) {
      return guard(async () => toRoom(await make(name, 'dm', null, members)));
    },
    find(name) {
      return guard(async () => {
        const doc = await Room.findById(name).lean<RoomDoc>();
        return doc && toRoom(doc);
      });
    },
    listFor(user) {
      return guard(async () => {
        const docs = await Room.find({ $or: [publicRoom, { 'members.key': nameKey(user) }] }).sort({ _id: 1 }).lean<RoomDoc[]>();
        return docs.map((doc) => ({ ...toRoom(doc), members: (doc.members ?? []).map((m) => m.name) }));
      });
    },
    members(room) {
      return guard(async () => ((await Room.findById(room, { members: 1 }).lean<Pick<RoomDoc, 'members'>>())?.members ?? []).map((m) => m.name));
    },
    isMember(room, user) {
      return guard(async () => (await Room.exists({ _id: room, 'members.key': nameKey(user) })) !== null);
    },
    // Private rooms only, as the port says: a DM's members never change, and a public room has none.
    addMember(room, user) {
      // Matches only while `user` is not a member, so two adds racing push one entry, and the count says which.
      return guard(async () => {
        const { key } = member(user);
        const { modifiedCount } = await Room.updateOne({ _id: room, kind: 'private', 'members.key': { $ne: key } }, { $push: { members: member(user) } });
        return modifiedCount === 1;
      });
    },
    removeMember(room, user) {
      return guard(async () => {
        const key = nameKey(user);
        const { modifiedCount } = await Room.updateOne({ _id: room, kind: 'private', 'members.key': key }, { $pull: { members: { key } } });
        return modifiedCount === 1;
      });
    },
  };
}

