/** Read positions in the embedded store: one row per user and room, moved forward only. */
import type Database from 'better-sqlite3';
import { nameKey } from '../../identity/name-key.js';
import type { ReadRepository } from '../port.js';
import { guard } from './guard.js';

export function readRepository(db: Database.Database): ReadRepository {
  const advance = db.prepare<[string, string, number], { seq: number }>(
    `INSERT INTO read_positions (user_key, room, seq) VALUES (?, ?, ?)
     ON CONFLICT (user_key, room) DO UPDATE SET seq = max(seq, excluded.seq) RETURNING seq`,
  );
  const positions = db.prepare<[string], { room: string; seq: number }>('SELECT room, seq FROM read_positions WHERE user_key = ?');

  // Answered without waiting for a WAL sync, as sessions are: a read position lost in a power cut only
  // shows a few messages as unread again. Reading is frequent; it should not cost an fsync each time.
  return {
    async advance(user, room, seq) {
      return guard(() => advance.get(nameKey(user), room, seq)!.seq);
    },
    async positions(user) {
      return guard(() => new Map(positions.all(nameKey(user)).map((row) => [row.room, row.seq])));
    },
  };
}
