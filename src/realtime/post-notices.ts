/**
 * What a post or an edit tells people beyond the room's own sockets: `mention` to each user it newly
 * mentions who may read the room (never the author), and, for a private room or DM, `room:activity` to
 * its members' sockets that are not in the room, so their room lists can count it as unread. Both go
 * to user rooms through the adapter, so they reach every replica.
 */
import type { Message } from '../chat/messages.js';
import type { Readers } from '../chat/room-access.js';
import { sameName } from '../identity/name-key.js';
import { userRoom, type ChatServer } from './events.js';

export type PostNotices = ReturnType<typeof createPostNotices>;

export function createPostNotices(io: ChatServer) {
  /** Tells the users `message` mentions, and `before` did not, who may read it. */
  const mention = (message: Message, readersOfRoom: Readers, before: readonly string[]) => {
    const names = message.mentions.filter(
      (name) =>
        !sameName(name, message.user.name) &&
        !before.some((b) => sameName(b, name)) &&
        (readersOfRoom === null || readersOfRoom.some((m) => sameName(m, name))),
    );
    if (names.length > 0) io.to(names.map(userRoom)).emit('mention', { room: message.room, message });
  };

  return {
    /** `message` was just posted in a room that `readers` may read. */
    posted(message: Message, readers: Readers): void {
      mention(message, readers, []);
      if (readers) io.to(readers.map(userRoom)).except(message.room).emit('room:activity', { room: message.room, lastSeq: message.seq, user: message.user.name });
    },
    /** `message` was edited in a room that `readers` may read; it mentioned `before` until now. */
    edited(message: Message, readers: Readers, before: readonly string[]): void {
      mention(message, readers, before);
    },
  };
}
