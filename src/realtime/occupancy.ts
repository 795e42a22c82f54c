/**
 * Who is in which room, asked of the Socket.IO adapter so the answer covers every replica.
 */
import type { ChatServer } from './events.js';
import { isChatRoom } from './events.js';

/**
 * The sockets in `room` (every socket when undefined) on every replica. When a replica does not answer
 * (one that died and that the broker's heartbeat has not yet dropped, or the broker is down), this
 * replica's own sockets instead of an error: a member list briefly missing some people beats a failed join.
 */
async function clusterSockets(io: ChatServer, room?: string) {
  try {
    return await (room === undefined ? io : io.in(room)).fetchSockets();
  } catch {
    return (room === undefined ? io.local : io.local.in(room)).fetchSockets();
  }
}

/** Display names of the users with at least one socket in `room`, and how many sockets each has. */
export async function roomMembers(io: ChatServer, room: string): Promise<Map<string, { name: string; sockets: number }>> {
  const members = new Map<string, { name: string; sockets: number }>();
  for (const socket of await clusterSockets(io, room)) {
    const name = socket.data.user.name;
    const entry = members.get(name.toLowerCase()) ?? { name, sockets: 0 };
    entry.sockets += 1;
    members.set(name.toLowerCase(), entry);
  }
  return members;
}

/** Distinct users per chat room, in one round trip to the other replicas. */
export async function onlineByRoom(io: ChatServer): Promise<Map<string, number>> {
  const usersByRoom = new Map<string, Set<string>>();
  for (const socket of await clusterSockets(io)) {
    for (const room of socket.rooms) {
      if (!isChatRoom(room) || room === socket.id) continue;
      const users = usersByRoom.get(room) ?? new Set<string>();
      users.add(socket.data.user.name.toLowerCase());
      usersByRoom.set(room, users);
    }
  }
  return new Map([...usersByRoom].map(([room, users]) => [room, users.size]));
}
