/**
 * `room:join` (with history and `sinceSeq` recovery) and `room:leave`, plus the member events that
 * fire when a user's first socket enters or last socket leaves a room.
 */
import { publicUser, toMessages } from '../chat/messages.js';
import { roomJoin, roomLeave } from '../chat/schemas.js';
import type { Store } from '../store/port.js';
import type { EventBinder } from './ack.js';
import { isChatRoom, type ChatServer, type ChatSocket } from './events.js';
import type { MessageFanout } from './message-fanout.js';
import type { RoomOccupancy } from './occupancy.js';

/** History sent with a plain join. */
export const JOIN_HISTORY = 50;
/** At most this many missed messages are sent with a `sinceSeq` join; older ones come from paging. */
export const RECOVERY_HISTORY = 500;

export interface RoomHandlerDeps {
  io: ChatServer;
  occupancy: RoomOccupancy;
  store: Store;
  fanout: MessageFanout;
  bind: EventBinder;
}

export function registerRoomHandlers(socket: ChatSocket, { io, occupancy, store, fanout, bind }: RoomHandlerDeps): void {
  const me = socket.data.user;

  bind(socket, 'room:join', roomJoin, async ({ room, sinceSeq }) => {
    await store.rooms.ensure(room);
    const firstTime = !socket.rooms.has(room);
    // Join before reading history: a message stored in between is then both in the history and
    // broadcast to us, and clients drop the repeat by seq, rather than missing it altogether.
    await socket.join(room);
    const page =
      sinceSeq === undefined
        ? await store.messages.before(room, undefined, JOIN_HISTORY)
        : await store.messages.since(room, sinceSeq, RECOVERY_HISTORY);
    const where = occupancy.whereabouts(room, me.name);
    if (firstTime && where.here === 1 && !where.elsewhere) socket.to(room).emit('member:join', { room, user: me });
    const online = await store.users.findMany(occupancy.members(room));
    const history = await toMessages(store.users, page.messages);
    fanout.joined(room, history, history.at(-1)?.seq ?? sinceSeq ?? 0);
    return {
      room,
      history,
      online: online.map(publicUser),
    };
  });

  bind(socket, 'room:leave', roomLeave, async ({ room }) => {
    if (socket.rooms.has(room)) {
      await socket.leave(room);
      await announceLeaveIfLast(room);
    }
    return { room };
  });

  let roomsAtDisconnect: string[] = [];
  socket.on('disconnecting', () => {
    roomsAtDisconnect = [...socket.rooms].filter((r) => isChatRoom(r) && r !== socket.id);
  });
  socket.on('disconnect', () => {
    for (const room of roomsAtDisconnect) {
      announceLeaveIfLast(room).catch(() => {
        // Best effort: a replica that cannot count members now still has correct history.
      });
    }
  });

  async function announceLeaveIfLast(room: string): Promise<void> {
    const where = occupancy.whereabouts(room, me.name);
    if (where.here === 0 && !where.elsewhere) io.to(room).emit('member:leave', { room, user: me });
  }
}
