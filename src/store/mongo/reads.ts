/**
 * Read positions of the MongoDB store: one document per user (by `nameKey`) and room. `$max` makes an
 * advance one atomic update that only ever moves the position forward, so concurrent advances on any
 * replica keep the furthest.
 */
import { nameKey } from '../../identity/name-key.js';
import type { ReadRepository } from '../port.js';
import { guard, onDuplicateKey } from './guard.js';
import type { Models, ReadDoc } from './models.js';

export function readRepository({ Read }: Models): ReadRepository {
  return {
    advance(user, room, seq) {
      // Two first advances racing may both try the upsert's insert; the loser's duplicate key means the
      // position exists now, and the same update, run again, moves it.
      const advance = () =>
        Read.findOneAndUpdate({ userKey: nameKey(user), room }, { $max: { seq } }, { upsert: true, returnDocument: 'after' })
          .orFail()
          .lean<ReadDoc>();
      return guard(async () => (await onDuplicateKey(advance, advance)).seq);
    },
    positions(user) {
      return guard(async () => {
        const docs = await Read.find({ userKey: nameKey(user) }, { room: 1, seq: 1 }).lean<Pick<ReadDoc, 'room' | 'seq'>[]>();
        return new Map(docs.map((doc) => [doc.room, doc.seq]));
      });
    },
  };
}
