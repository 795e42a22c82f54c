/**
 * `room:join` (with history, or with `sinceSeq` every message changed since, in log order; a fresh history
 * again when `sinceSeq` is of another history epoch) and `room:leave`. Joining and leaving the
 * Socket.IO room is all it takes for the member events: room occupancy sees it and announces the
 * settled arrivals and departures (`member-announcements.ts`).
 */
import { AppError } from '../chat/errors.js';
import { publicUser, withAuthors } from '../chat/messages.js';
import type { RoomAccess } from '../chat/room-access.js';
import type { Store } from '../store/port.js';
import type { EventBinder } from './ack.js';
import type { ChatSocket } from './events.js';
import type { MessageFanout } from './message-fanout.js';
import type { RoomOccupancy } from './occupancy.js';
import type { RoomJoinAck } from './protocol.js';

/** History sent with a plain join. */
export const JOIN_HISTORY = 50;
/** At most this many changed messages are sent with a `sinceSeq` join; the client joins again for the rest. */
export const RECOVERY_HISTORY = 500;

export interface RoomHandlerDeps {
  occupancy: RoomOccupancy;
  store: Store;
  fanout: MessageFanout;
  access: RoomAccess;
  bind: EventBinder;
}

export function registerRoomHandlers(socket: ChatSocket, { occupancy, store, fanout, access, bind }: RoomHandlerDeps): void {
  const me = () => socket.data.user.name;

  bind(socket, 'room:join', async ({ room, sinceSeq, epoch }) => {
    const record = await access.readable(room, me(), { create: true });
    // Join before reading history: a message stored in between is then both in the history and
    // broadcast to us, and clients drop the repeat by seq, rather than missing it altogether.
    await socket.join(room);
    if (record.kind !== 'public' && !(await store.rooms.isMember(room, me()))) {
      // Removed between the check and the join: the removal's cluster-wide leave may have come before our join.
      await socket.leave(room);
      throw new AppError('forbidden', 'This conversation is private.');
    }
    // Seqs of another epoch belong to a history the store no longer has (a backup was restored since, or
    // the machine went down before commits it had delivered were synced: crash-epoch.ts):
    // merging from them would skip or mislabel messages, so the client gets a fresh join to start over.
    // A `sinceSeq` without an epoch (a client older than epochs) is taken as this store's.
    const resync = sinceSeq !== undefined && epoch !== undefined && epoch !== store.historyEpoch;
    const page =
      sinceSeq === undefined || resync
        ? await store.messages.before(room, undefined, JOIN_HISTORY)
        : await store.messages.since(room, sinceSeq, RECOVERY_HISTORY);
    const [online, members] = await Promise.all([
      store.users.findMany(occupancy.members(room)),
      record.kind === 'public' ? undefined : store.rooms.members(room).then((names) => store.users.findMany(names)),
    ]);
    const history = await withAuthors(store.users, page.messages);
    fanout.joined(room, history, Math.max(page.lastSeq, ...history.map((m) => m.updatedSeq)));
    return {
      room,
      history,
      // Older messages (a plain join) or more changes (a `sinceSeq` join: join again from the last one).
      hasMore: page.hasMore,
      online: online.map(publicUser),
      kind: record.kind,
      ...(members && { members: members.map(publicUser) }),
      epoch: store.historyEpoch,
      resync,
    } satisfies RoomJoinAck;
  });

  bind(socket, 'room:leave', async ({ room }) => {
    await socket.leave(room);
    return { room };
  });
}
