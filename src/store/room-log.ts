/**
 * The room log's rules, shared by both store drivers so they cannot drift apart: what a change does to a
 * message, and what a reply quotes of its original. Each driver reads a message, applies `applyChange`,
 * and writes the result with the room's next seq as its `updatedSeq`, atomically (a transaction on SQLite,
 * a compare-and-set on the previous `updatedSeq` on MongoDB).
 *
 * Every change to a message that a client may hold is itself a change in the log: so a deletion also
 * re-quotes the replies to it (their copy of its text goes too), as does an edit that changes the quoted
 * start of the text. A client that replays the log from any seq then ends with exactly what the store has.
 */
import { sameName } from '../identity/name-key.js';
import type { MessageChange, StoredMessage, StoredQuote } from './port.js';

/** Graphemes of the original a reply quotes. */
export const REPLY_EXCERPT_GRAPHEMES = 100;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The start of `text` a reply shows: whole graphemes (never half an emoji), whitespace folded, `…` when cut. */
export function replyExcerpt(text: string): string {
  const folded = text.replace(/\s+/g, ' ').trim();
  let excerpt = '';
  let count = 0;
  for (const { segment } of graphemes.segment(folded)) {
    if (count++ === REPLY_EXCERPT_GRAPHEMES) return `${excerpt.trimEnd()}…`;
    excerpt += segment;
  }
  return excerpt;
}

/** What a reply to `original` quotes of it now. */
export function quoteOf(original: StoredMessage): StoredQuote {
  return { id: original.id, author: original.author, excerpt: original.deleted ? null : replyExcerpt(original.text) };
}

/** The fields a change may touch. */
export type MessageState = Pick<StoredMessage, 'text' | 'editedAt' | 'deleted' | 'replyTo' | 'reactions' | 'mentions'>;

/** A change as drivers apply it: a user's, or a reply's quote following its original. */
export type LogChange = MessageChange | { kind: 'requote'; quote: StoredQuote };

/** The message's state after `change`, or null when the change would change nothing (so it takes no seq). */
export function applyChange(message: StoredMessage, change: LogChange): MessageState | null {
  const state: MessageState = {
    text: message.text,
    editedAt: message.editedAt,
    deleted: message.deleted,
    replyTo: message.replyTo,
    reactions: message.reactions,
    mentions: message.mentions,
  };
  if (message.deleted) return null;
  switch (change.kind) {
    case 'edit':
      return change.text === message.text ? null : { ...state, text: change.text, editedAt: change.at, mentions: change.mentions ?? [] };
    case 'delete':
      return { text: '', editedAt: null, deleted: true, replyTo: null, reactions: [], mentions: [] };
    case 'requote':
      return message.replyTo && message.replyTo.excerpt !== change.quote.excerpt ? { ...state, replyTo: change.quote } : null;
    case 'react': {
      const reactions = react(message.reactions, change.emoji, change.user, change.on);
      return reactions ? { ...state, reactions } : null;
    }
  }
}

/** `reactions` with `user`'s `emoji` added or removed, or null when it already is as asked. */
function react(reactions: StoredMessage['reactions'], emoji: string, user: string, on: boolean): StoredMessage['reactions'] | null {
  const entry = reactions.find((r) => r.emoji === emoji);
  const has = entry?.users.some((u) => sameName(u, user)) ?? false;
  if (has === on) return null;
  if (on) {
    return entry
      ? reactions.map((r) => (r === entry ? { emoji, users: [...r.users, user] } : r))
      : [...reactions, { emoji, users: [user] }];
  }
  // An emoji nobody reacts with any more goes, so a later first reaction puts it last again.
  return reactions
    .map((r) => (r === entry ? { emoji, users: r.users.filter((u) => !sameName(u, user)) } : r))
    .filter((r) => r.users.length > 0);
}

/** Whether replies to `message` quote something else of it once it is in `next`: only then are they re-quoted. */
export function quoteChanges(message: StoredMessage, next: MessageState): boolean {
  return quoteOf(message).excerpt !== quoteOf({ ...message, ...next }).excerpt;
}
