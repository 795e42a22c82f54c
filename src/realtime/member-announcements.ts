/**
 * `member:join` / `member:leave` to this replica's sockets in a room, for the arrivals and departures
 * that room occupancy settles (`occupancy.ts`): an arrival at once, a departure only once the user has
 * stayed away for the grace, so a reload, a reconnect or a hop to another replica is neither. Every
 * replica tells its own sockets from its own copy of the occupancy, so each socket hears a change once.
 */
import type { Logger } from 'pino';
import { publicUser } from '../chat/messages.js';
import type { Store } from '../store/port.js';
import { userRoom, type ChatServer } from './events.js';

export interface MemberAnnouncementDeps {
  io: ChatServer;
  store: Store;
  logger: Logger;
}

/** The `onSettled` of a `RoomOccupancy`. */
export function memberAnnouncements({ io, store, logger }: MemberAnnouncementDeps): (room: string, name: string, present: boolean) => void {
  const localRooms = io.of('/').adapter.rooms;
  return (room, name, present) => {
    // Nobody in the room here: no need to look the user up.
    if (!localRooms.has(room)) return;
    store.users
      .find(name)
      .then((user) => {
        if (!user) return;
        // The user's own tabs know where they are.
        io.local.to(room).except(userRoom(name)).emit(present ? 'member:join' : 'member:leave', { room, user: publicUser(user) });
      })
      .catch((err: unknown) => logger.warn({ err, room }, 'could not announce a member arriving or leaving'));
  };
}
