/**
 * The store contract: every driver (embedded, mongo over the wire test server, a real MongoDB when
 * MONGO_URL is set) runs this suite unchanged.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppendResult, ChangeResult, MessageChange, Store, StoredReaction } from '../../src/store/port.js';
import { quoteOf } from '../../src/store/room-log.js';
import { conversationsContract } from './store-suite-conversations.js';

export interface StoreHarness {
  /** A fresh, empty store with the given per-room history cap. */
  open(options: { historyMax: number }): Promise<Store>;
  /** Opens the same data again, as a restarted replica would (after `close()`), or another replica sharing it. */
  reopen(options: { historyMax: number }): Promise<Store>;
  /** Removes what `open` created. */
  cleanup(): Promise<void>;
  /**
   * Whether `text` is anywhere in the data `open` created, as the driver keeps it (the database's
   * files, the raw collections), so a test can see that a deletion left nothing of it behind.
   */
  rawContains(text: string): Promise<boolean>;
}

const msg = (room: string, clientId: string, text = `text ${clientId}`) => ({
  room,
  clientId,
  author: 'alice',
  text,
  ts: 1_700_000_000_000,
});

/** The harness and store of the test running now: a test may swap the store (reopening it, say). */
export interface StoreFixture {
  harness: StoreHarness;
  store: Store;
}

export function storeContract(driver: string, makeHarness: () => StoreHarness): void {
  describe(`store contract: ${driver}`, () => {
    let harness: StoreHarness;
    let store: Store;
    const fixture = {} as StoreFixture;

    beforeEach(async () => {
      harness = makeHarness();
      store = await harness.open({ historyMax: 0 });
      Object.assign(fixture, { harness, store });
    });

    afterEach(async () => {
      // Either may have been swapped for a reopened store by the test; closing is idempotent.
      await Promise.all([store.close(), fixture.store.close()]);
      await harness.cleanup();
    });

    describe('users', () => {
      it('claims a free name once and finds it case-insensitively', async () => {
        const first = await store.users.claim('Alice');
        expect(first).toMatchObject({ name: 'Alice', nameKey: 'alice', passwordHash: null, avatarUrl: null });
        const again = await store.users.claim('ALICE');
        expect(again.name).toBe('Alice');
        expect(await store.users.find('aLiCe')).toMatchObject({ name: 'Alice' });
        expect(await store.users.find('bob')).toBeNull();
      });

      it('gives one user to concurrent claims of the same name', async () => {
        const claims = await Promise.all(['Zed', 'zed', 'ZED', 'zEd'].map((n) => store.users.claim(n)));
        expect(new Set(claims.map((u) => u.name)).size).toBe(1);
      });

      it('keeps password hashes and avatars, returning the previous avatar', async () => {
        await store.users.claim('carol');
        await store.users.setPasswordHash('Carol', 'scrypt$abc');
        expect(await store.users.setAvatar('carol', '/uploads/a.png')).toBeNull();
        expect(await store.users.setAvatar('CAROL', '/uploads/b.png')).toBe('/uploads/a.png');
        expect(await store.users.find('carol')).toMatchObject({ passwordHash: 'scrypt$abc', avatarUrl: '/uploads/b.png' });
      });

      it('finds many users at once, skipping unknown names', async () => {
        await store.users.claim('dave');
        await store.users.claim('Erin');
        const found = await store.users.findMany(['DAVE', 'erin', 'nobody']);
        expect(found.map((u) => u.name).sort()).toEqual(['Erin', 'dave']);
        expect(await store.users.findMany([])).toEqual([]);
      });
    });

    describe('rooms', () => {
      it('ensures rooms idempotently, with their last seq', async () => {
        expect(await store.rooms.ensure('general')).toMatchObject({ name: 'general', lastSeq: 0 });
        await Promise.all([store.rooms.ensure('random'), store.rooms.ensure('random')]);
        await store.messages.append(msg('random', 'c1'));
        expect(await store.rooms.find('random')).toMatchObject({ name: 'random', lastSeq: 1 });
        expect(await store.rooms.find('nope')).toBeNull();
        const rooms = await store.rooms.listFor('alice');
        expect(rooms.map(({ name, lastSeq }) => ({ name, lastSeq })).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
          { name: 'general', lastSeq: 0 },
          { name: 'random', lastSeq: 1 },
        ]);
      });
    });

    describe('messages', () => {
      it('assigns seq 1, 2, 3 per room, creating the room on first append', async () => {
        const a1 = await store.messages.append(msg('a', 'x1'));
        const a2 = await store.messages.append(msg('a', 'x2'));
        const b1 = await store.messages.append(msg('b', 'x1'));
        expect([a1.message.seq, a2.message.seq, b1.message.seq]).toEqual([1, 2, 1]);
        expect(a1.created && a2.created && b1.created).toBe(true);
        expect(a1.message).toMatchObject({ room: 'a', clientId: 'x1', author: 'alice', text: 'text x1' });
        expect(a1.message.id).toEqual(expect.any(String));
        expect(a1.message.id).not.toBe(b1.message.id);
      });

      it('tells onCommitted the result once, when it is readable, before the write resolves; a repeat and a change too', async () => {
        const heard: number[] = [];
        const readable: Promise<boolean>[] = [];
        const onCommitted = ({ message }: AppendResult | ChangeResult) => {
          heard.push(message.updatedSeq);
          // Committed means any reader of the store finds it (a peer's gap fill, a recovering client).
          readable.push(store.messages.find('c', message.id).then((found) => found?.updatedSeq === message.updatedSeq));
        };
        const first = await store.messages.append(msg('c', 'k1'), onCommitted);
        expect(heard).toEqual([first.message.seq]);
        expect((await store.messages.append(msg('c', 'k1'), onCommitted)).created).toBe(false);
        const edited = await store.messages.change('c', first.message.id, { kind: 'edit', text: 'changed', at: 1 }, onCommitted);
        expect(await store.messages.change('c', 'no-such-id', { kind: 'delete' }, onCommitted)).toBeNull();
        expect(heard).toEqual([1, 1, edited!.message.updatedSeq]);
        expect(await Promise.all(readable)).toEqual([true, true, true]);
      });

      it('fails only the write whose onCommitted throws, which stays stored and is found again on retry', async () => {
        const [failed, fine] = await Promise.allSettled([
          store.messages.append(msg('t', 'k1'), () => {
            throw new Error('listener broke');
          }),
          store.messages.append(msg('t', 'k2'), () => {}),
        ]);
        expect(failed).toMatchObject({ status: 'rejected', reason: { message: 'listener broke' } });
        expect(fine).toMatchObject({ status: 'fulfilled', value: { created: true } });
        expect(await store.messages.append(msg('t', 'k1'))).toMatchObject({ created: false, message: { clientId: 'k1' } });
      });

      it('hands out distinct, gapless seqs under concurrent appends', async () => {
        const results = await Promise.all(Array.from({ length: 40 }, (_, i) => store.messages.append(msg('busy', `c${i}`))));
        expect(results.map((r) => r.message.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      });

      it('is idempotent by (room, clientId), even when the repeats race', async () => {
        const first = await store.messages.append(msg('a', 'same', 'first'));
        const again = await store.messages.append(msg('a', 'same', 'second'));
        expect(again.created).toBe(false);
        expect(again.message).toEqual(first.message);
        const racing = await Promise.all([1, 2, 3].map(() => store.messages.append(msg('a', 'race'))));
        expect(racing.filter((r) => r.created)).toHaveLength(1);
        expect(new Set(racing.map((r) => r.message.seq)).size).toBe(1);
        const page = await store.messages.before('a', undefined, 100);
        expect(page.messages.map((m) => m.clientId)).toEqual(['same', 'race']);
        // The repeats that lost took no seq of their own: the next message follows with no gap.
        expect((await store.messages.append(msg('a', 'after'))).message.seq).toBe(3);
      });

      it('gives repeats racing on two replicas one message and no gap', async () => {
        const other = await harness.reopen({ historyMax: 0 });
        try {
          for (let round = 1; round <= 5; round++) {
            const racing = await Promise.all([store, other, store, other].map((s) => s.messages.append(msg('two', `r${round}`))));
            expect(racing.filter((r) => r.created)).toHaveLength(1);
            expect(new Set(racing.map((r) => r.message.id)).size).toBe(1);
          }
          const page = await other.messages.before('two', undefined, 100);
          expect(page.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
          expect((await store.rooms.find('two'))?.lastSeq).toBe(5);
        } finally {
          await other.close();
        }
      });

      it("scopes idempotency to the author: another author's clientId never answers for theirs", async () => {
        const alices = await store.messages.append(msg('a', 'shared', 'from alice'));
        const bobs = await store.messages.append({ ...msg('a', 'shared', 'from bob'), author: 'bob' });
        expect(bobs.created).toBe(true);
        expect(bobs.message).toMatchObject({ seq: 2, author: 'bob', text: 'from bob', clientId: 'shared' });
        const bobAgain = await store.messages.append({ ...msg('a', 'shared', 'bob again'), author: 'bob' });
        expect(bobAgain).toEqual({ message: bobs.message, created: false, requoted: [] });
        expect((await store.messages.append(msg('a', 'shared'))).message).toEqual(alices.message);
      });

      it('pages backwards with before/limit in ascending order', async () => {
        for (let i = 1; i <= 7; i++) await store.messages.append(msg('p', `c${i}`));
        const newest = await store.messages.before('p', undefined, 3);
        expect(newest.messages.map((m) => m.seq)).toEqual([5, 6, 7]);
        expect(newest.hasMore).toBe(true);
        const older = await store.messages.before('p', 5, 3);
        expect(older.messages.map((m) => m.seq)).toEqual([2, 3, 4]);
        expect(older.hasMore).toBe(true);
        const oldest = await store.messages.before('p', 2, 3);
        expect(oldest).toEqual({ messages: [expect.objectContaining({ seq: 1 })], hasMore: false, lastSeq: 7 });
        expect(await store.messages.before('empty', undefined, 10)).toEqual({ messages: [], hasMore: false, lastSeq: 0 });
      });

      it('returns what came after a seq, oldest first, with hasMore', async () => {
        for (let i = 1; i <= 5; i++) await store.messages.append(msg('s', `c${i}`));
        const after2 = await store.messages.since('s', 2, 2);
        expect(after2.messages.map((m) => m.seq)).toEqual([3, 4]);
        expect(after2.hasMore).toBe(true);
        expect((await store.messages.since('s', 3, 10)).messages.map((m) => m.seq)).toEqual([4, 5]);
        expect(await store.messages.since('s', 5, 10)).toEqual({ messages: [], hasMore: false, lastSeq: 5 });
      });

      it('stores text exactly, including markup and unicode', async () => {
        const text = '<script>alert(1)</script> \u{1F600} "quotes" \n line';
        const { message } = await store.messages.append(msg('t', 'u1', text));
        expect((await store.messages.since('t', 0, 1)).messages[0]).toEqual(message);
        expect(message.text).toBe(text);
      });
    });

    describe('history cap', () => {
      it('keeps the newest historyMax messages per room, seq continuing', async () => {
        await store.close();
        store = await harness.open({ historyMax: 3 });
        for (let i = 1; i <= 5; i++) await store.messages.append(msg('cap', `c${i}`));
        await store.messages.append(msg('other', 'o1'));
        const page = await store.messages.before('cap', undefined, 100);
        expect(page.messages.map((m) => m.seq)).toEqual([3, 4, 5]);
        expect(page.hasMore).toBe(false);
        expect((await store.messages.before('other', undefined, 100)).messages).toHaveLength(1);
        expect(await store.rooms.find('cap')).toMatchObject({ name: 'cap', lastSeq: 5 });
      });
    });

    describe('room log', () => {
      const edit = (text: string, at = 1_700_000_100_000): MessageChange => ({ kind: 'edit', text, at });
      const react = (emoji: string, user: string, on = true): MessageChange => ({ kind: 'react', emoji, user, on });
      const del: MessageChange = { kind: 'delete' };
      const post = async (room: string, clientId: string, text?: string, replyTo?: string) =>
        (await store.messages.append({ ...msg(room, clientId, text), ...(replyTo ? { replyTo } : {}) })).message;
      // Over 100 graphemes: an edit past the 100th changes no reply's excerpt.
      const long = (end: string) => `${'quoted start '.repeat(8)}and ${end}`;

      it('appends messages in their first state: updatedSeq = seq, not edited, deleted, quoting or reacted to', async () => {
        const { message } = await store.messages.append(msg('r', 'c1'));
        expect(message).toMatchObject({ seq: 1, updatedSeq: 1, editedAt: null, deleted: false, replyTo: null, reactions: [] });
        expect(await store.messages.find('r', message.id)).toEqual(message);
      });

      it("finds a message by room and id only: another room's id or an unknown id is null", async () => {
        const m = await post('r', 'c1');
        await post('other', 'c1');
        expect(await store.messages.find('other', m.id)).toBeNull();
        expect(await store.messages.find('r', 'no-such-id')).toBeNull();
        expect(await store.messages.change('other', m.id, edit('x'))).toBeNull();
        expect(await store.messages.change('r', 'no-such-id', edit('x'))).toBeNull();
      });

      it('edits with the next seq; the same text again changes nothing and takes no seq', async () => {
        const m = await post('r', 'c1', 'first');
        await post('r', 'c2');
        const edited = await store.messages.change('r', m.id, edit('second', 42));
        expect(edited).toEqual({ changed: true, requoted: [], message: { ...m, text: 'second', editedAt: 42, updatedSeq: 3 } });
        const again = await store.messages.change('r', m.id, edit('second', 43));
        expect(again).toEqual({ changed: false, requoted: [], message: edited!.message });
        expect(await store.messages.find('r', m.id)).toEqual(edited!.message);
        expect((await post('r', 'c3')).seq).toBe(4);
      });

      it('deletes to a tombstone that takes no further change', async () => {
        const m = await post('r', 'c1', 'to go');
        await store.messages.change('r', m.id, react('👍', 'bob'));
        const deleted = await store.messages.change('r', m.id, del);
        const tombstone = { ...m, text: '', editedAt: null, deleted: true, replyTo: null, reactions: [], updatedSeq: 3 };
        expect(deleted).toEqual({ changed: true, requoted: [], message: tombstone });
        for (const change of [del, edit('back'), react('👍', 'carol'), react('👍', 'bob', false)]) {
          expect(await store.messages.change('r', m.id, change)).toEqual({ changed: false, requoted: [], message: tombstone });
        }
        expect(await store.messages.find('r', m.id)).toEqual(tombstone);
        expect((await store.rooms.find('r'))?.lastSeq).toBe(3);
      });

      it('keeps reactions in first-reaction order, one per user per emoji whatever the case of the name', async () => {
        const m = await post('r', 'c1');
        const reactions = async (...changes: MessageChange[]) => {
          const results = [];
          for (const change of changes) results.push(await store.messages.change('r', m.id, change));
          return results.map((r) => r!.changed);
        };
        expect(await reactions(react('👍', 'bob'), react('❤️', 'carol'), react('👍', 'carol'), react('👍', 'BOB'))).toEqual([true, true, true, false]);
        expect((await store.messages.find('r', m.id))?.reactions).toEqual([
          { emoji: '👍', users: ['bob', 'carol'] },
          { emoji: '❤️', users: ['carol'] },
        ]);
        // Removing the last user drops the emoji, so its next first reaction puts it last.
        expect(await reactions(react('👍', 'Bob', false), react('👍', 'bob', false), react('👍', 'carol', false), react('🎉', 'dave', false))).toEqual([
          true,
          false,
          true,
          false,
        ]);
        expect(await reactions(react('👍', 'dave'))).toEqual([true]);
        const final = await store.messages.find('r', m.id);
        expect(final?.reactions).toEqual([
          { emoji: '❤️', users: ['carol'] },
          { emoji: '👍', users: ['dave'] },
        ]);
        expect(final?.updatedSeq).toBe(7);
      });

      it('quotes the original of a reply as it is when posted, and nothing for an id not in the room', async () => {
        const original = await post('r', 'c1', '  hello\n\n  there  ');
        const elsewhere = await post('other', 'c1');
        const reply = await post('r', 'c2', 'hi', original.id);
        expect(reply.replyTo).toEqual(quoteOf(original));
        expect(reply.replyTo).toEqual({ id: original.id, author: 'alice', excerpt: 'hello there' });
        expect((await post('r', 'c3', 'hi', 'no-such-id')).replyTo).toBeNull();
        expect((await post('r', 'c4', 'hi', elsewhere.id)).replyTo).toBeNull();
        expect(await store.messages.find('r', reply.id)).toEqual(reply);
      });

      it('re-quotes every live reply when the original is deleted, each with a seq of its own', async () => {
        const original = await post('r', 'c1', 'the original');
        const a = await post('r', 'c2', 'reply a', original.id);
        const b = await post('r', 'c3', 'reply b', original.id);
        const gone = await post('r', 'c4', 'reply gone', original.id);
        await store.messages.change('r', gone.id, del);
        const result = await store.messages.change('r', original.id, del);
        expect(result?.message.updatedSeq).toBe(6);
        const unquoted = { id: original.id, author: 'alice', excerpt: null };
        expect(result?.requoted.sort((x, y) => x.seq - y.seq)).toEqual([
          { ...a, replyTo: unquoted, updatedSeq: expect.any(Number) },
          { ...b, replyTo: unquoted, updatedSeq: expect.any(Number) },
        ]);
        expect(result!.requoted.map((r) => r.updatedSeq).sort((x, y) => x - y)).toEqual([7, 8]);
        for (const reply of result!.requoted) expect(await store.messages.find('r', reply.id)).toEqual(reply);
        expect((await store.rooms.find('r'))?.lastSeq).toBe(8);
      });

      it('re-quotes replies on an edit that changes the excerpt, and not on one past it', async () => {
        const original = await post('r', 'c1', long('the end'));
        const reply = await post('r', 'c2', 'reply', original.id);
        const past = await store.messages.change('r', original.id, edit(long('another end')));
        expect(past).toMatchObject({ changed: true, requoted: [] });
        expect(await store.messages.find('r', reply.id)).toEqual(reply);
        const start = await store.messages.change('r', original.id, edit('a new start'));
        expect(start?.requoted).toEqual([{ ...reply, replyTo: { id: original.id, author: 'alice', excerpt: 'a new start' }, updatedSeq: 5 }]);
        expect(start?.message.updatedSeq).toBe(4);
      });

      it('leaves nothing of a deleted text in the store, nor of the excerpts that quoted it', async () => {
        const text = `plumquartz ${'word '.repeat(30)}zebrafinch`;
        const original = await post('r', 'c1', text);
        await post('r', 'c2', 'reply one', original.id);
        await post('r', 'c3', 'reply two', original.id);
        await store.messages.change('r', original.id, edit(`${text} edited`));
        expect(await harness.rawContains('plumquartz')).toBe(true);
        await store.messages.change('r', original.id, del);
        expect(await harness.rawContains('plumquartz')).toBe(false);
        expect(await harness.rawContains('zebrafinch')).toBe(false);
        expect(await harness.rawContains('reply one')).toBe(true);
      });

      it('returns the changes since a seq in their current state, by updatedSeq, with hasMore and lastSeq', async () => {
        const [m1, m2, m3, m4] = [await post('s', 'c1'), await post('s', 'c2'), await post('s', 'c3'), await post('s', 'c4')];
        await store.messages.change('s', m2!.id, edit('edited'));
        await store.messages.change('s', m1!.id, react('👍', 'bob'));
        const all = await store.messages.since('s', 0, 10);
        expect(all.messages.map((m) => [m.id, m.updatedSeq])).toEqual([
          [m3!.id, 3],
          [m4!.id, 4],
          [m2!.id, 5],
          [m1!.id, 6],
        ]);
        expect(all.messages[2]).toMatchObject({ text: 'edited', seq: 2 });
        expect(all.messages[3]).toMatchObject({ reactions: [{ emoji: '👍', users: ['bob'] }], seq: 1 });
        expect(all).toMatchObject({ hasMore: false, lastSeq: 6 });
        const first = await store.messages.since('s', 0, 2);
        expect(first.messages.map((m) => m.updatedSeq)).toEqual([3, 4]);
        expect(first).toMatchObject({ hasMore: true, lastSeq: 6 });
        expect((await store.messages.since('s', 4, 10)).messages.map((m) => m.id)).toEqual([m2!.id, m1!.id]);
        const page = await store.messages.before('s', undefined, 10);
        expect(page.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
        expect(page.messages).toEqual([all.messages[3], all.messages[2], all.messages[0], all.messages[1]]);
        expect(page.lastSeq).toBe(6);
      });

      it('trims by seq, however recently a message changed; a trimmed message takes no change', async () => {
        await store.close();
        store = await harness.open({ historyMax: 3 });
        const m1 = await post('cap', 'c1');
        await post('cap', 'c2');
        await post('cap', 'c3');
        await store.messages.change('cap', m1.id, edit('late edit'));
        await post('cap', 'c4');
        // The edit took seq 4: the room keeps its newest 3 messages, not its last 3 seqs.
        expect((await store.messages.before('cap', undefined, 10)).messages.map((m) => m.seq)).toEqual([2, 3, 5]);
        expect((await store.messages.since('cap', 0, 10)).messages.map((m) => m.seq)).toEqual([2, 3, 5]);
        expect(await store.messages.find('cap', m1.id)).toBeNull();
        expect(await store.messages.change('cap', m1.id, react('👍', 'bob'))).toBeNull();
        expect((await post('cap', 'c5', 'hi', m1.id)).replyTo).toBeNull();
      });

      it('returns a repeated append as its first message in its current state', async () => {
        const m = await post('r', 'same', 'first');
        const edited = await store.messages.change('r', m.id, edit('changed'));
        expect(await store.messages.append(msg('r', 'same', 'first'))).toEqual({ created: false, message: edited!.message, requoted: [] });
      });

      describe('concurrency across replicas', () => {
        let replicas: Store[];
        beforeEach(async () => {
          replicas = [store, await harness.reopen({ historyMax: 0 }), await harness.reopen({ historyMax: 0 })];
        });
        afterEach(async () => {
          await Promise.all(replicas.slice(1).map((s) => s.close()));
        });
        const on = (i: number) => replicas[i % replicas.length]!;

        it('lands every concurrent reaction, each on the state the previous one left, with distinct seqs', async () => {
          const m = await post('c', 'c1');
          const reactions = Array.from({ length: 24 }, (_, i) => ({ user: `user${i}`, emoji: i % 3 ? '👍' : '🎉' }));
          const results = await Promise.all(reactions.map(({ user, emoji }, i) => on(i).messages.change('c', m.id, react(emoji, user))));
          expect(results.every((r) => r?.changed)).toBe(true);
          const seqs = results.map((r) => r!.message.updatedSeq);
          expect([...seqs].sort((x, y) => x - y)).toEqual(reactions.map((_, i) => 2 + i));
          // What the reactions make when applied one by one in the order their changes took seqs.
          const expected: StoredReaction[] = [];
          for (const { user, emoji } of reactions.map((r, i) => ({ ...r, seq: seqs[i]! })).sort((x, y) => x.seq - y.seq)) {
            const entry = expected.find((r) => r.emoji === emoji);
            if (entry) entry.users.push(user);
            else expected.push({ emoji, users: [user] });
          }
          const final = await on(1).messages.find('c', m.id);
          expect(final).toMatchObject({ reactions: expected, updatedSeq: 1 + reactions.length });
          for (const s of replicas) expect(await s.messages.find('c', m.id)).toEqual(final);
        });

        it('settles concurrent edits on one final text, each edit with a seq of its own', async () => {
          const m = await post('c', 'c1');
          const texts = Array.from({ length: 12 }, (_, i) => `edit ${i}`);
          const results = await Promise.all(texts.map((text, i) => on(i).messages.change('c', m.id, edit(text))));
          const seqs = results.map((r) => r!.message.updatedSeq);
          expect(results.every((r) => r?.changed)).toBe(true);
          expect(new Set(seqs).size).toBe(texts.length);
          const last = results.find((r) => r!.message.updatedSeq === Math.max(...seqs))!;
          const final = await on(2).messages.find('c', m.id);
          expect(final).toEqual(last.message);
          expect((await store.rooms.find('c'))?.lastSeq).toBe(1 + texts.length);
        });

        it('lets a delete win over edits and reactions racing it', async () => {
          const m = await post('c', 'c1');
          const results = await Promise.all([
            on(0).messages.change('c', m.id, edit('racing 1')),
            on(1).messages.change('c', m.id, del),
            on(2).messages.change('c', m.id, edit('racing 2')),
            on(0).messages.change('c', m.id, react('👍', 'bob')),
          ]);
          const final = await on(2).messages.find('c', m.id);
          expect(final).toMatchObject({ deleted: true, text: '', reactions: [], editedAt: null });
          expect(results[1]?.message).toEqual(final);
          const changed = results.filter((r) => r?.changed).map((r) => r!.message.updatedSeq);
          expect(new Set(changed).size).toBe(changed.length);
          expect(Math.max(...changed)).toBe(final!.updatedSeq);
        });
      });
    });

    describe('sessions', () => {
      const call = <T>(fn: (cb: (err: unknown, value?: T) => void) => void) =>
        new Promise<T | undefined>((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
      const cookie = (maxAgeMs: number) => ({ originalMaxAge: maxAgeMs, expires: new Date(Date.now() + maxAgeMs), httpOnly: true, path: '/' });

      it('sets, gets, touches and destroys sessions', async () => {
        const sessions = store.sessions;
        const data = { cookie: cookie(60_000), user: { name: 'alice' } };
        await call((cb) => sessions.set('sid-1', data as never, cb));
        expect(await call((cb) => sessions.get('sid-1', cb))).toMatchObject({ user: { name: 'alice' } });
        await call((cb) => sessions.touch!('sid-1', data as never, (err?: unknown) => cb(err)));
        await call((cb) => sessions.destroy('sid-1', cb));
        expect(await call((cb) => sessions.get('sid-1', cb))).toBeFalsy();
      });

      it('does not return expired sessions', async () => {
        const expired = { cookie: { ...cookie(1000), expires: new Date(Date.now() - 1000) }, user: { name: 'old' } };
        await call((cb) => store.sessions.set('sid-old', expired as never, cb));
        expect(await call((cb) => store.sessions.get('sid-old', cb))).toBeFalsy();
      });
    });

    describe('friends', () => {
      // The store treats states as opaque JSON; a sorted union of names is a join, as the CRDT's merge is.
      const addNames =
        (...names: string[]) =>
        (saved: unknown) =>
          [...new Set([...((saved as string[] | null) ?? []), ...names])].sort();

      it('saves merged states per owner and lists them all', async () => {
        expect(await store.friends.all()).toEqual([]);
        await store.friends.update('alice', addNames('bob'));
        await store.friends.update('alice', addNames('carol'));
        await store.friends.update('Bob', addNames('alice'));
        const all = await store.friends.all();
        expect(all.sort((a, b) => a.owner.localeCompare(b.owner))).toEqual([
          { owner: 'alice', state: ['bob', 'carol'] },
          { owner: 'Bob', state: ['alice'] },
        ]);
      });

      it('keeps every one of many concurrent updates of one owner', async () => {
        const names = Array.from({ length: 20 }, (_, i) => `friend${String(i).padStart(2, '0')}`);
        await Promise.all(names.map((name) => store.friends.update('alice', addNames(name))));
        expect(await store.friends.all()).toEqual([{ owner: 'alice', state: names }]);
      });

      it('writes nothing when the merge throws', async () => {
        await store.friends.update('alice', addNames('bob'));
        await expect(
          store.friends.update('alice', () => {
            throw new Error('bad state');
          }),
        ).rejects.toThrow('bad state');
        expect(await store.friends.all()).toEqual([{ owner: 'alice', state: ['bob'] }]);
      });
    });

    describe('history epoch', () => {
      it('is made once per database: the same for every store on it, and after a restart', async () => {
        const epoch = store.historyEpoch;
        expect(epoch).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
        const other = await harness.reopen({ historyMax: 0 });
        try {
          expect(other.historyEpoch).toBe(epoch);
        } finally {
          await other.close();
        }
        await store.close();
        store = await harness.reopen({ historyMax: 0 });
        expect(store.historyEpoch).toBe(epoch);
      });

      it('differs between two databases', async () => {
        const second = makeHarness();
        const another = await second.open({ historyMax: 0 });
        try {
          expect(another.historyEpoch).not.toBe(store.historyEpoch);
        } finally {
          await another.close();
          await second.cleanup();
        }
      });
    });

    it('answers ping while open', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('survives a restart with messages, users, rooms, sessions and friends', async () => {
      await store.users.claim('Frank');
      await store.friends.update('Frank', () => ['Gus']);
      await store.messages.append(msg('keep', 'k1'));
      await new Promise<void>((resolve, reject) =>
        store.sessions.set('sid-keep', { cookie: { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000) }, n: 1 } as never, (e) => (e ? reject(e) : resolve())),
      );
      await store.close();
      store = await harness.reopen({ historyMax: 0 });
      expect(await store.users.find('frank')).toMatchObject({ name: 'Frank' });
      expect(await store.rooms.find('keep')).toMatchObject({ name: 'keep', lastSeq: 1 });
      expect((await store.messages.append(msg('keep', 'k2'))).message.seq).toBe(2);
      const session = await new Promise((resolve, reject) => store.sessions.get('sid-keep', (e, s) => (e ? reject(e) : resolve(s))));
      expect(session).toMatchObject({ n: 1 });
      expect(await store.friends.all()).toEqual([{ owner: 'Frank', state: ['Gus'] }]);
    });
    conversationsContract(fixture);
  });
}
