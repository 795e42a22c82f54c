/**
 * The embedded store's reads across messages: unread counts and search. Search goes through the FTS5
 * index `message_search` (schema.ts), which triggers keep in step with the messages table; a match
 * expression is built from normalized terms only (`searchTerms`), each quoted as a prefix query.
 */
import type Database from 'better-sqlite3';
import { nameKey } from '../../identity/name-key.js';
import type { MessageRepository, UnreadCounts } from '../port.js';
import { guard } from './guard.js';
import { storedMessageFromRow, type MessageRow } from './rows.js';

export function messageQueries(db: Database.Database): Pick<MessageRepository, 'unread' | 'search'> {
  const unread = db.prepare<{ room: string; after: number; user: string }, UnreadCounts>(
    `SELECT count(*) AS unread,
       coalesce(sum(EXISTS (SELECT 1 FROM json_each(mentions) WHERE name_key(value) = @user)), 0) AS mentions
     FROM messages WHERE room = @room AND seq > @after AND deleted = 0 AND name_key(author) != @user`,
  );
  const byIdIn = db.prepare<[string, string], { ts: number; id: string }>('SELECT ts, id FROM messages WHERE id = ? AND room IN (SELECT value FROM json_each(?))');
  const search = db.prepare<{ match: string; rooms: string; beforeTs: number | null; beforeId: string | null; limit: number }, MessageRow>(
    `SELECT messages.* FROM message_search JOIN messages ON messages.search_rowid = message_search.rowid
     WHERE message_search MATCH @match
       AND messages.room IN (SELECT value FROM json_each(@rooms))
       AND (@beforeTs IS NULL OR messages.ts < @beforeTs OR (messages.ts = @beforeTs AND messages.id < @beforeId))
     ORDER BY messages.ts DESC, messages.id DESC LIMIT @limit`,
  );

  return {
    async unread(user, positions) {
      return guard(() =>
        db.transaction(() => new Map(positions.map(({ room, after }) => [room, unread.get({ room, after, user: nameKey(user) })!])))(),
      );
    },
    async search({ terms, rooms, before, limit }) {
      return guard(() => {
        const roomList = JSON.stringify(rooms);
        const from = before === undefined ? undefined : byIdIn.get(before, roomList);
        // Paging on from a message that is gone (trimmed) or not in these rooms finds nothing rather than starting over.
        if (rooms.length === 0 || (before !== undefined && !from)) return { messages: [], hasMore: false };
        const rows = search.all({
          match: terms.map((term) => `"${term.replaceAll('"', '""')}"*`).join(' '),
          rooms: roomList,
          beforeTs: from?.ts ?? null,
          beforeId: from?.id ?? null,
          limit: limit + 1,
        });
        return { messages: rows.slice(0, limit).map(storedMessageFromRow), hasMore: rows.length > limit };
      });
    },
  };
}
