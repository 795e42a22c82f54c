/**
 * Who is in which room, asked of the Socket.IO adapter so the answer covers every replica.
 */
import type { ChatServer } from './events.js';
import { isChatRoom } from './events.js';

/** Display names of the users with at least one socket in `room`, and how many sockets each has. */
export async function roomMembers(io: ChatServer, room: string): Promise<Map<string, { name: string; sockets: number }>> {
  const members = new Map<string, { name: string; sockets: number }>();
  for (const socket of await io.in(room).fetchSockets()) {
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
  for (const socket of await io.fetchSockets()) {
    for (const room of socket.rooms) {
      if (!isChatRoom(room) || room === socket.id) continue;
      const users = usersByRoom.get(room) ?? new Set<string>();
      users.add(socket.data.user.name.toLowerCase());
      usersByRoom.set(room, users);
    }
  }
  return new Map([...usersByRoom].map(([room, users]) => [room, users.size]));
}
