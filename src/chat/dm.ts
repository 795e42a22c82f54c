/**
 * Direct-message rooms: one per pair of users, named from the pair alone, so whoever opens it, on any
 * replica, concurrently too, reaches the same room. The name is a digest of the two name keys: it says
 * nothing about who talks to whom, and public room names may not take the `dm-` prefix.
 */
import { createHash } from 'node:crypto';
import { nameKey } from '../identity/name-key.js';

export const DM_PREFIX = 'dm-';

/** The DM room of `a` and `b` (in either order): `dm-` and 40 hex digits, a valid room name. */
export function dmRoomName(a: string, b: string): string {
  const pair = [nameKey(a), nameKey(b)].sort().join('\n');
  return DM_PREFIX + createHash('sha256').update(pair).digest('hex').slice(0, 40);
}

/** Whether `room` is in the DM namespace: only `dm:open` makes such rooms. */
export const isDmRoomName = (room: string): boolean => room.startsWith(DM_PREFIX);
