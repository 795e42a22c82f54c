/**
 * Private conversations: `dm:open` (the one room of two users), `room:create` (a private room its
 * creator owns), and the owner's `room:invite` / `room:remove`. Membership changes reach the user they
 * are about on every replica at once: an invitee's sockets (and the opener's or creator's other ones)
 * hear `room:added`; a removed member's sockets leave the room (so nothing more of it reaches them) and
 * hear `room:removed`; and the sockets in the room hear `room:members` with its new roster (never the
 * removed user's, whose leaving may reach a replica after it). The DM's other person learns of it from
 * its first message (`room:activity`).
 */
import { dmRoomName, isDmRoomName } from '../chat/dm.js';
import { AppError } from '../chat/errors.js';
import { publicUser } from '../chat/messages.js';
import { summarizeRoom, type SummaryDeps } from '../chat/room-summaries.js';
import { sameName } from '../identity/name-key.js';
import type { RoomRecord } from '../store/port.js';
import type { EventBinder } from './ack.js';
import { userRoom, type ChatSocket } from './events.js';

export type ConversationDeps = SummaryDeps & { bind: EventBinder };

export function registerConversationHandlers(socket: ChatSocket, deps: ConversationDeps): void {
  const { store, bind } = deps;
  const me = socket.data.user.name;

  /** The user `name`, who may be talked with: a banned user is as good as gone. */
  const existingUser = async (name: string) => {
    const user = await store.users.find(name);
    if (!user || user.banned) throw new AppError('not_found', `Nobody is called "${name}".`);
    return user;
  };

  /** `room` as the asking socket's answer, and as `room:added` to the user's other sockets on every replica. */
  const addedForMe = async (room: string) => {
    const summary = await summarizeRoom(deps, me, room);
    socket.to(userRoom(me)).emit('room:added', { room: summary });
    return { room: summary };
  };

  /** The private room `room`, which someone in it asks to change: a room one is not in, or none, is refused as forbidden. */
  const managed = async (room: string): Promise<RoomRecord> => {
    const record = await store.rooms.find(room);
    // Neither a missing room nor someone else's conversation says more than "not yours to manage".
    if (!record || (record.kind !== 'public' && !(await store.rooms.isMember(room, me)))) {
      throw new AppError('forbidden', 'Only the owner of a private room manages its members.');
    }
    if (record.kind !== 'private') throw new AppError('invalid_input', record.kind === 'dm' ? 'A direct conversation is for its two people only.' : 'Everyone may join a public room.');
    return record;
  };

  const membersOf = async (room: string) => (await store.users.findMany(await store.rooms.members(room))).map(publicUser);

  /** The roster of `room` after a change about `name`: the answer, and `room:members` to the room's sockets, not `name`'s. */
  const rosterAfter = async (room: string, name: string, changed: boolean) => {
    const members = await membersOf(room);
    if (changed) socket.nsp.to(room).except(userRoom(name)).emit('room:members', { room, members });
    return { room, members };
  };

  bind(socket, 'dm:open', async ({ name }) => {
    const other = await existingUser(name);
    if (sameName(other.name, me)) throw new AppError('invalid_input', 'A direct conversation needs someone else.');
    const room = dmRoomName(me, other.name);
    await store.rooms.openDm(room, [me, other.name]);
    return addedForMe(room);
  });

  bind(socket, 'room:create', async ({ room }) => {
    if (isDmRoomName(room)) throw new AppError('invalid_input', 'Room names starting with "dm-" are for direct conversations.');
    if (!(await store.rooms.createPrivate(room, me))) throw new AppError('name_in_use', `A room called "${room}" exists; pick another name.`);
    return addedForMe(room);
  });

  bind(socket, 'room:invite', async ({ room, name }) => {
    const record = await managed(room);
    if (!sameName(record.owner!, me)) throw new AppError('forbidden', 'Only the owner of a private room invites to it.');
    const invitee = await existingUser(name);
    const added = await store.rooms.addMember(room, invitee.name);
    if (added) socket.nsp.to(userRoom(invitee.name)).emit('room:added', { room: await summarizeRoom(deps, invitee.name, room) });
    return rosterAfter(room, invitee.name, added);
  });

  bind(socket, 'room:remove', async ({ room, name }) => {
    const record = await managed(room);
    const leaving = sameName(name, me);
    if (!leaving && !sameName(record.owner!, me)) throw new AppError('forbidden', 'Only the owner of a private room removes its members.');
    if (sameName(name, record.owner!)) throw new AppError('invalid_input', 'The owner stays in their room.');
    const removed = await store.rooms.removeMember(room, name);
    if (removed) {
      // Cluster-wide, through the adapter: the removed user's sockets on every replica stop receiving the room now.
      socket.nsp.in(userRoom(name)).socketsLeave(room);
      socket.nsp.to(userRoom(name)).emit('room:removed', { room });
    }
    return rosterAfter(room, name, removed);
  });
}
