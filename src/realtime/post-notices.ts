/**
 * What a post or an edit tells people beyond the room's own sockets: `mention` to each user it newly
 * mentions who may read the room (never the author), and, for a private room or DM, `room:activity` to
 * its members' sockets that are not in the room, so their room lists can count it as unread. Both go
 * to user rooms through the adapter, so they reach every replica.
 */
import type { Message } from '../chat/messages.js';
import { sameName } from '../identity/name-key.js';
import type { RoomKind, Store } from '../store/port.js';
import { userRoom, type ChatServer } from './events.js';

export interface PostNoticeDeps {
  io: ChatServer;
  store: Store;
}

export type PostNotices = ReturnType<typeof createPostNotices>;

export function createPostNotices({ io, store }: PostNoticeDeps) {
  /** Who may read a room of `kind`: everyone (undefined) for a public one, else its members. */
  const readers = (room: string, kind: RoomKind) => (kind === 'public' ? Promise.resolve(undefined) : store.rooms.members(room));

  /** Tells the users `message` mentions, and `before` did not, who may read it. */
  const mention = (message: Message, readersOfRoom: readonly string[] | undefined, before: readonly string[]) => {
    const names = message.mentions.filter(
      (name) =>
        !sameName(name, message.user.name) &&
        !before.some((b) => sameName(b, name)) &&
        (readersOfRoom === undefined || readersOfRoom.some((m) => sameName(m, name))),
    );
    if (names.length > 0) io.to(names.map(userRoom)).emit('mention', { room: message.room, message });
  };

  return {
    /** `message` was just posted in a room of `kind`. */
    async posted(message: Message, kind: RoomKind): Promise<void> {
      const members = await readers(message.room, kind);
      mention(message, members, []);
      if (members) io.to(members.map(userRoom)).except(message.room).emit('room:activity', { room: message.room, lastSeq: message.seq, user: message.user.name });
    },
    /** `message` was edited in a room of `kind`; it mentioned `before` until now. */
    async edited(message: Message, kind: RoomKind, before: readonly string[]): Promise<void> {
      mention(message, await readers(message.room, kind), before);
    },
  };
}
