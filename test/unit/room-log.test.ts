/**
 * The room log's rules (src/store/room-log.ts), which both store drivers apply, and the emoji rule of
 * the reaction events.
 */
import { describe, expect, it } from 'vitest';
import { emoji } from '../../src/chat/schemas.js';
import type { StoredMessage } from '../../src/store/port.js';
import { applyChange, quoteChanges, quoteOf, replyExcerpt, REPLY_EXCERPT_GRAPHEMES } from '../../src/store/room-log.js';

const stored = (overrides: Partial<StoredMessage> = {}): StoredMessage => ({
  id: 'm1',
  room: 'r',
  seq: 1,
  updatedSeq: 1,
  clientId: 'c1',
  author: 'Alice',
  text: 'hello',
  ts: 1,
  editedAt: null,
  deleted: false,
  replyTo: null,
  reactions: [],
  mentions: [],
  ...overrides,
});

describe('replyExcerpt', () => {
  it('keeps a short text whole, with its whitespace folded', () => {
    expect(replyExcerpt('  two\n\nlines\tand  spaces ')).toBe('two lines and spaces');
  });

  it(`cuts after ${REPLY_EXCERPT_GRAPHEMES} graphemes, never inside one`, () => {
    const family = '👩‍👩‍👧‍👦';
    const excerpt = replyExcerpt(family.repeat(150));
    expect(excerpt).toBe(`${family.repeat(REPLY_EXCERPT_GRAPHEMES)}…`);
    expect(replyExcerpt('x'.repeat(REPLY_EXCERPT_GRAPHEMES))).toBe('x'.repeat(REPLY_EXCERPT_GRAPHEMES));
  });
});

describe('applyChange', () => {
  it('edits the text and stamps editedAt; the same text is no change', () => {
    expect(applyChange(stored(), { kind: 'edit', text: 'hi', at: 5 })).toMatchObject({ text: 'hi', editedAt: 5 });
    expect(applyChange(stored({ mentions: ['bob'] }), { kind: 'edit', text: 'hi @carol', at: 5, mentions: ['carol'] })).toMatchObject({ mentions: ['carol'] });
    expect(applyChange(stored({ mentions: ['bob'] }), { kind: 'edit', text: 'hi', at: 5 })).toMatchObject({ mentions: [] });
    expect(applyChange(stored(), { kind: 'edit', text: 'hello', at: 5 })).toBeNull();
  });

  it('deletes to a tombstone that takes no other change', () => {
    const message = stored({ replyTo: { id: 'm0', author: 'bob', excerpt: 'x' }, reactions: [{ emoji: '👍', users: ['bob'] }], editedAt: 3, mentions: ['bob'] });
    const tombstone = applyChange(message, { kind: 'delete' });
    expect(tombstone).toEqual({ text: '', editedAt: null, deleted: true, replyTo: null, reactions: [], mentions: [] });
    const deleted = stored({ ...tombstone });
    expect(applyChange(deleted, { kind: 'delete' })).toBeNull();
    expect(applyChange(deleted, { kind: 'edit', text: 'back', at: 9 })).toBeNull();
    expect(applyChange(deleted, { kind: 'react', emoji: '👍', user: 'bob', on: true })).toBeNull();
  });

  it('counts each user once per emoji, in first-reaction order, case-insensitively', () => {
    let message = stored();
    const react = (e: string, user: string, on = true) => {
      const next = applyChange(message, { kind: 'react', emoji: e, user, on });
      if (next) message = { ...message, ...next };
      return next;
    };
    react('🎉', 'bob');
    react('👍', 'carol');
    react('🎉', 'carol');
    expect(react('🎉', 'BOB')).toBeNull();
    expect(message.reactions).toEqual([
      { emoji: '🎉', users: ['bob', 'carol'] },
      { emoji: '👍', users: ['carol'] },
    ]);
    expect(react('👍', 'dave', false)).toBeNull();
    react('👍', 'Carol', false);
    react('👍', 'erin');
    expect(message.reactions).toEqual([
      { emoji: '🎉', users: ['bob', 'carol'] },
      { emoji: '👍', users: ['erin'] },
    ]);
  });

  it('re-quotes a reply only when the quote differs', () => {
    const reply = stored({ replyTo: { id: 'm0', author: 'bob', excerpt: 'old' } });
    expect(applyChange(reply, { kind: 'requote', quote: { id: 'm0', author: 'bob', excerpt: null } })).toMatchObject({ replyTo: { excerpt: null } });
    expect(applyChange(reply, { kind: 'requote', quote: { id: 'm0', author: 'bob', excerpt: 'old' } })).toBeNull();
    expect(applyChange(stored(), { kind: 'requote', quote: { id: 'm0', author: 'bob', excerpt: null } })).toBeNull();
  });
});

describe('quotes', () => {
  it('quote the start of the text, or nothing once deleted', () => {
    expect(quoteOf(stored())).toEqual({ id: 'm1', author: 'Alice', excerpt: 'hello' });
    expect(quoteOf(stored({ deleted: true, text: '' }))).toEqual({ id: 'm1', author: 'Alice', excerpt: null });
  });

  it('change with a delete and with an edit of the quoted start, not with an edit past it', () => {
    const long = stored({ text: 'a'.repeat(200) });
    expect(quoteChanges(long, { ...long, deleted: true, text: '' })).toBe(true);
    expect(quoteChanges(long, { ...long, text: `b${'a'.repeat(199)}` })).toBe(true);
    expect(quoteChanges(long, { ...long, text: `${'a'.repeat(199)}b` })).toBe(false);
  });
});

describe('the emoji rule', () => {
  it.each(['👍', '❤️', '👩🏻‍❤️‍💋‍👨🏼', '🇫🇷', '1️⃣', '🏳️‍🌈', '🫠'])('takes %s', (value) => {
    expect(emoji.parse(value)).toBe(value);
  });

  it('takes a symbol typed in its text form as its emoji form', () => {
    expect(emoji.parse('❤')).toBe('❤️');
    expect(emoji.parse('☺')).toBe('☺️');
  });

  it.each(['', 'a', '1', '#', '👍👍', ' 👍', '<b>', ':+1:', '👍'.repeat(40)])('refuses %j', (value) => {
    expect(emoji.safeParse(value).success).toBe(false);
  });
});
