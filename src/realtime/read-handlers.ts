/**
 * `room:read`: where a user has read up to, kept in the store so it follows them to every device. The
 * position never moves back (a stale tab cannot undo a read on another), never passes the room's last
 * seq, and the user's other sockets, on every replica, hear it as `room:read` to clear their badges.
 */
import type { RoomAccess } from '../chat/room-access.js';
import type { Store } from '../store/port.js';
import type { EventBinder } from './ack.js';
import { userRoom, type ChatSocket } from './events.js';

export interface ReadHandlerDeps {
  store: Store;
  access: RoomAccess;
  bind: EventBinder;
}

export function registerReadHandlers(socket: ChatSocket, { store, access, bind }: ReadHandlerDeps): void {
  bind(socket, 'room:read', async ({ room, seq }) => {
    const me = socket.data.user.name;
    const record = await access.readable(room, me);
    const position = await store.reads.advance(me, room, Math.min(seq, record.lastSeq));
    const counts = (await store.messages.unread(me, [{ room, after: position }])).get(room) ?? { unread: 0, mentions: 0 };
    const read = { room, seq: position, ...counts };
    socket.to(userRoom(me)).emit('room:read', read);
    return read;
  });
}
