/**
 * Rooms as a user's room list shows them (`GET /api/rooms`, and the acks and events that add a room to
 * it): a DM as the other person, a private room with its owner, and what the user has not read there.
 * Unread counts start once the user has read a public room (one never opened shows 0, or every user
 * would start with the whole history of every room unread); a private room or DM counts from its start.
 */
import { nameKey, sameName } from '../identity/name-key.js';
import type { MemberRoomRecord, Store } from '../store/port.js';
import { lookUpUsers, type PublicUser } from './messages.js';

export interface RoomSummary {
  name: string;
  online: number;
  lastSeq: number;
  private?: true;
  /** The DM's other person, and whether they are online anywhere in the cluster now. */
  dm?: { with: PublicUser; online: boolean };
  owner?: string;
  unread: number;
  mentions: number;
}

export interface SummaryDeps {
  store: Store;
  /** Distinct online users per room, across the cluster. */
  onlineByRoom(): Map<string, number>;
  /** Whether `name` is online on any replica (presence's vote). */
  isOnline(name: string): boolean;
}

/** `rooms` as `user` sees them. */
export async function summarizeRooms({ store, onlineByRoom, isOnline }: SummaryDeps, user: string, rooms: readonly MemberRoomRecord[]): Promise<RoomSummary[]> {
  const positions = await store.reads.positions(user);
  const counted = rooms.filter((r) => r.kind !== 'public' || positions.has(r.name)).map((r) => ({ room: r.name, after: positions.get(r.name) ?? 0 }));
  const [counts, partners] = await Promise.all([
    store.messages.unread(user, counted),
    lookUpUsers(store.users, rooms.flatMap((r) => (r.kind === 'dm' ? r.members.filter((m) => !sameName(m, user)) : []))),
  ]);
  const online = onlineByRoom();
  return rooms.map((room) => {
    const other = room.kind === 'dm' ? room.members.find((m) => !sameName(m, user)) : undefined;
    return {
      name: room.name,
      online: online.get(room.name) ?? 0,
      lastSeq: room.lastSeq,
      ...(room.kind === 'private' && { private: true as const, owner: room.owner! }),
      ...(other !== undefined && { dm: { with: partners.get(nameKey(other))!, online: isOnline(other) } }),
      unread: counts.get(room.name)?.unread ?? 0,
      mentions: counts.get(room.name)?.mentions ?? 0,
    };
  });
}

/** One room as `user` sees it, e.g. just opened or just invited to. */
export async function summarizeRoom(deps: SummaryDeps, user: string, room: string): Promise<RoomSummary> {
  const record = await deps.store.rooms.find(room);
  if (!record) throw new Error(`room ${room} vanished`);
  const members = record.kind === 'public' ? [] : await deps.store.rooms.members(room);
  const [summary] = await summarizeRooms(deps, user, [{ ...record, members }]);
  return summary!;
}
