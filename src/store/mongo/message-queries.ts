/**
 * Queries across the messages of several rooms: unread counts and search. Both go by the query fields a
 * message document keeps beside its text (`queryFields`), written in the same update as the text.
 */
import { nameKey } from '../../identity/name-key.js';
import type { MessageRepository, UnreadCounts } from '../port.js';
import { storedMessageFromDoc } from './documents.js';
import { guard } from './guard.js';
import type { Models, SequencedMessageDoc } from './models.js';

/** Live messages only: a deleted one never counts nor is found (documents from before tombstones lack `deleted`). */
const live = { deleted: { $ne: true } };

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function messageQueries({ Message }: Models): Pick<MessageRepository, 'unread' | 'search'> {
  return {
    unread(user, positions) {
      if (positions.length === 0) return Promise.resolve(new Map());
      const key = nameKey(user);
      return guard(async () => {
        // One aggregate for every room: a range on seq per room (served by the (room, seq) index), others'
        // posts only, counted per room along with those whose mentions hold the user.
        const counted = await Message.aggregate<{ _id: string } & UnreadCounts>([
          { $match: { $or: positions.map(({ room, after }) => ({ room, seq: { $gt: after } })), ...live, authorKey: { $ne: key } } },
          {
            $group: {
              _id: '$room',
              unread: { $sum: 1 },
              mentions: { $sum: { $cond: [{ $in: [key, { $ifNull: ['$mentionKeys', []] }] }, 1, 0] } },
            },
          },
        ]);
        const counts = new Map<string, UnreadCounts>(positions.map(({ room }) => [room, { unread: 0, mentions: 0 }]));
        for (const { _id, unread, mentions } of counted) counts.set(_id, { unread, mentions });
        return counts;
      });
    },
    search({ terms, rooms, before, limit }) {
      return guard(async () => {
        if (rooms.length === 0) return { messages: [], hasMore: false };
        const inRooms = { room: { $in: rooms }, seq: { $exists: true } };
        // Paging goes by (ts, id), like the order; a `before` deleted since still marks the place, one
        // outside these rooms (or trimmed) pages nowhere.
        const from = before === undefined ? undefined : await Message.findOne({ _id: before, ...inRooms }, { ts: 1 }).lean<{ _id: string; ts: number }>();
        if (from === null) return { messages: [], hasMore: false };
        const older = from ? { $or: [{ ts: { $lt: from.ts } }, { ts: from.ts, _id: { $lt: from._id } }] } : {};
        // Each term a prefix of some word: an anchored regex, which the (room, words) index answers as a range.
        const words = { $all: terms.map((term) => new RegExp(`^${escapeRegExp(term)}`)) };
        const docs = await Message.find({ ...inRooms, ...live, words, ...older })
          .sort({ ts: -1, _id: -1 })
          .limit(limit + 1)
          .lean<SequencedMessageDoc[]>();
        return { messages: docs.slice(0, limit).map(storedMessageFromDoc), hasMore: docs.length > limit };
      });
    },
  };
}
