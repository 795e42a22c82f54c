/**
 * `room:join` (with history and `sinceSeq` recovery) and `room:leave`. Joining and leaving the
 * Socket.IO room is all it takes for the member events: room occupancy sees it and announces the
 * settled arrivals and departures (`member-announcements.ts`).
 */
import { publicUser, withAuthors } from '../chat/messages.js';
import { roomJoin, roomLeave } from '../chat/schemas.js';
import type { Store } from '../store/port.js';
import type { EventBinder } from './ack.js';
import type { ChatSocket } from './events.js';
import type { MessageFanout } from './message-fanout.js';
import type { RoomOccupancy } from './occupancy.js';

/** History sent with a plain join. */
export const JOIN_HISTORY = 50;
/** At most this many missed messages are sent with a `sinceSeq` join; older ones come from paging. */
export const RECOVERY_HISTORY = 500;

export interface RoomHandlerDeps {
  occupancy: RoomOccupancy;
  store: Store;
  fanout: MessageFanout;
  bind: EventBinder;
}

export function registerRoomHandlers(socket: ChatSocket, { occupancy, store, fanout, bind }: RoomHandlerDeps): void {
  bind(socket, 'room:join', roomJoin, async ({ room, sinceSeq }) => {
    await store.rooms.ensure(room);
    // Join before reading history: a message stored in between is then both in the history and
    // broadcast to us, and clients drop the repeat by seq, rather than missing it altogether.
    await socket.join(room);
    const page =
      sinceSeq === undefined
        ? await store.messages.before(room, undefined, JOIN_HISTORY)
        : await store.messages.since(room, sinceSeq, RECOVERY_HISTORY);
    const online = await store.users.findMany(occupancy.members(room));
    const history = await withAuthors(store.users, page.messages);
    fanout.joined(room, history, history.at(-1)?.seq ?? sinceSeq ?? 0);
    return {
      room,
      history,
      online: online.map(publicUser),
    };
  });

  bind(socket, 'room:leave', roomLeave, async ({ room }) => {
    await socket.leave(room);
    return { room };
  });
}
