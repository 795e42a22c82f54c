/**
 * The store contract: every driver (embedded, mongo over the wire test server, a real MongoDB when
 * MONGO_URL is set) runs this suite unchanged.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/port.js';

export interface StoreHarness {
  /** A fresh, empty store with the given per-room history cap. */
  open(options: { historyMax: number }): Promise<Store>;
  /** Opens the same data again, as a restarted replica would (after `close()`), or another replica sharing it. */
  reopen(options: { historyMax: number }): Promise<Store>;
  /** Removes what `open` created. */
  cleanup(): Promise<void>;
}

const msg = (room: string, clientId: string, text = `text ${clientId}`) => ({
  room,
  clientId,
  author: 'alice',
  text,
  ts: 1_700_000_000_000,
});

export function storeContract(driver: string, makeHarness: () => StoreHarness): void {
  describe(`store contract: ${driver}`, () => {
    let harness: StoreHarness;
    let store: Store;

    beforeEach(async () => {
      harness = makeHarness();
      store = await harness.open({ historyMax: 0 });
    });

    afterEach(async () => {
      await store.close();
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
      it('ensures rooms idempotently and lists them with their last seq', async () => {
        expect(await store.rooms.ensure('general')).toEqual({ name: 'general', lastSeq: 0 });
        await Promise.all([store.rooms.ensure('random'), store.rooms.ensure('random')]);
        await store.messages.append(msg('random', 'c1'));
        expect(await store.rooms.find('random')).toEqual({ name: 'random', lastSeq: 1 });
        expect(await store.rooms.find('nope')).toBeNull();
        const rooms = await store.rooms.list();
        expect(rooms.sort((a, b) => a.name.localeCompare(b.name))).toEqual([
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
        expect(bobAgain).toEqual({ message: bobs.message, created: false });
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
        expect(oldest).toEqual({ messages: [expect.objectContaining({ seq: 1 })], hasMore: false });
        expect(await store.messages.before('empty', undefined, 10)).toEqual({ messages: [], hasMore: false });
      });

      it('returns what came after a seq, oldest first, with hasMore', async () => {
        for (let i = 1; i <= 5; i++) await store.messages.append(msg('s', `c${i}`));
        const after2 = await store.messages.since('s', 2, 2);
        expect(after2.messages.map((m) => m.seq)).toEqual([3, 4]);
        expect(after2.hasMore).toBe(true);
        expect((await store.messages.since('s', 3, 10)).messages.map((m) => m.seq)).toEqual([4, 5]);
        expect(await store.messages.since('s', 5, 10)).toEqual({ messages: [], hasMore: false });
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
        expect(await store.rooms.find('cap')).toEqual({ name: 'cap', lastSeq: 5 });
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
      expect(await store.rooms.find('keep')).toEqual({ name: 'keep', lastSeq: 1 });
      expect((await store.messages.append(msg('keep', 'k2'))).message.seq).toBe(2);
      const session = await new Promise((resolve, reject) => store.sessions.get('sid-keep', (e, s) => (e ? reject(e) : resolve(s))));
      expect(session).toMatchObject({ n: 1 });
      expect(await store.friends.all()).toEqual([{ owner: 'Frank', state: ['Gus'] }]);
    });
  });
}
