/**
 * The store contract, part two: what private conversations need of a driver — room kinds and members,
 * read positions and unread counts, mentions, bans and search. Run by `storeContract` for every driver.
 */
import { describe, expect, it } from 'vitest';
import type { MessageChange, NewMessage } from '../../src/store/port.js';
import { searchTerms } from '../../src/search/terms.js';
import type { StoreFixture } from './store-suite.js';

const post = (room: string, clientId: string, author: string, text: string, extra: Partial<NewMessage> = {}): NewMessage => ({
  room,
  clientId,
  author,
  text,
  ts: 1_700_000_000_000,
  ...extra,
});

/** Run inside `storeContract`'s describe, whose hooks give `fixture` a fresh store before each test and close it after. */
export function conversationsContract(fixture: StoreFixture): void {
  describe('conversations', () => {

    describe('bans', () => {
      it('bans and unbans a user case-insensitively, saying whether anything changed', async () => {
        await fixture.store.users.claim('Mallory');
        expect((await fixture.store.users.claim('mallory')).banned).toBe(false);
        expect(await fixture.store.users.setBanned('MALLORY', true)).toBe(true);
        expect(await fixture.store.users.setBanned('mallory', true)).toBe(false);
        expect(await fixture.store.users.find('Mallory')).toMatchObject({ name: 'Mallory', banned: true });
        expect((await fixture.store.users.findMany(['mallory']))[0]?.banned).toBe(true);
        expect(await fixture.store.users.setBanned('Mallory', false)).toBe(true);
        expect(await fixture.store.users.find('mallory')).toMatchObject({ banned: false });
        expect(await fixture.store.users.setBanned('nobody', true)).toBe(false);
        expect(await fixture.store.users.find('nobody')).toBeNull();
      });
    });

    describe('room kinds and members', () => {
      it('makes public rooms with no owner and no members', async () => {
        expect(await fixture.store.rooms.ensure('general')).toEqual({ name: 'general', lastSeq: 0, kind: 'public', owner: null });
        await fixture.store.messages.append(post('general', 'c1', 'alice', 'hi'));
        expect(await fixture.store.rooms.find('general')).toEqual({ name: 'general', lastSeq: 1, kind: 'public', owner: null });
        expect(await fixture.store.rooms.members('general')).toEqual([]);
        expect(await fixture.store.rooms.isMember('general', 'alice')).toBe(false);
      });

      it('creates a private room once: its owner is its first member, a retry by the owner gets it, anyone else null', async () => {
        const room = await fixture.store.rooms.createPrivate('secret', 'Alice');
        expect(room).toEqual({ name: 'secret', lastSeq: 0, kind: 'private', owner: 'Alice' });
        expect(await fixture.store.rooms.createPrivate('secret', 'alice')).toEqual(room);
        expect(await fixture.store.rooms.createPrivate('secret', 'bob')).toBeNull();
        expect(await fixture.store.rooms.members('secret')).toEqual(['Alice']);
        expect(await fixture.store.rooms.isMember('secret', 'ALICE')).toBe(true);
        // A public room's name is taken too, and a private room stays private whoever ensures it.
        await fixture.store.rooms.ensure('open');
        expect(await fixture.store.rooms.createPrivate('open', 'alice')).toBeNull();
        expect(await fixture.store.rooms.ensure('secret')).toMatchObject({ kind: 'private', owner: 'Alice' });
        await fixture.store.messages.append(post('secret', 'c1', 'Alice', 'hi'));
        expect(await fixture.store.rooms.find('secret')).toEqual({ ...room, lastSeq: 1 });
      });

      it('gives one creator the room when several create it at once', async () => {
        const owners = ['ann', 'ben', 'cat', 'dan'];
        const results = await Promise.all(owners.map((owner) => fixture.store.rooms.createPrivate('contested', owner)));
        const won = results.filter((r) => r !== null);
        expect(won).toHaveLength(1);
        expect(await fixture.store.rooms.members('contested')).toEqual([won[0]!.owner]);
      });

      it('adds and removes members, in the order they joined, saying whether anything changed', async () => {
        await fixture.store.rooms.createPrivate('team', 'alice');
        expect(await fixture.store.rooms.addMember('team', 'Bob')).toBe(true);
        expect(await fixture.store.rooms.addMember('team', 'carol')).toBe(true);
        expect(await fixture.store.rooms.addMember('team', 'bob')).toBe(false);
        expect(await fixture.store.rooms.members('team')).toEqual(['alice', 'Bob', 'carol']);
        expect(await fixture.store.rooms.removeMember('team', 'BOB')).toBe(true);
        expect(await fixture.store.rooms.removeMember('team', 'bob')).toBe(false);
        expect(await fixture.store.rooms.isMember('team', 'bob')).toBe(false);
        expect(await fixture.store.rooms.members('team')).toEqual(['alice', 'carol']);
        expect(await fixture.store.rooms.addMember('team', 'bob')).toBe(true);
        expect(await fixture.store.rooms.members('team')).toEqual(['alice', 'carol', 'bob']);
      });

      it('changes the members of private rooms only: a DM stays its two people, a public room has none', async () => {
        await fixture.store.rooms.openDm('dm-ab', ['alice', 'bob']);
        await fixture.store.rooms.ensure('lobby');
        expect(await fixture.store.rooms.addMember('dm-ab', 'mallory')).toBe(false);
        expect(await fixture.store.rooms.removeMember('dm-ab', 'bob')).toBe(false);
        expect(await fixture.store.rooms.addMember('lobby', 'mallory')).toBe(false);
        expect(await fixture.store.rooms.addMember('nowhere', 'mallory')).toBe(false);
        expect([...(await fixture.store.rooms.members('dm-ab'))].sort()).toEqual(['alice', 'bob']);
        expect(await fixture.store.rooms.members('lobby')).toEqual([]);
        expect(await fixture.store.rooms.isMember('lobby', 'mallory')).toBe(false);
      });

      it('opens one DM for two people, however many open it at once and in whichever order', async () => {
        const opens = await Promise.all([
          fixture.store.rooms.openDm('dm-ab', ['alice', 'bob']),
          fixture.store.rooms.openDm('dm-ab', ['bob', 'alice']),
          fixture.store.rooms.openDm('dm-ab', ['alice', 'bob']),
        ]);
        for (const room of opens) expect(room).toEqual({ name: 'dm-ab', lastSeq: 0, kind: 'dm', owner: null });
        expect([...(await fixture.store.rooms.members('dm-ab'))].sort()).toEqual(['alice', 'bob']);
        expect(await fixture.store.rooms.isMember('dm-ab', 'Bob')).toBe(true);
        expect(await fixture.store.rooms.isMember('dm-ab', 'carol')).toBe(false);
        await fixture.store.messages.append(post('dm-ab', 'c1', 'alice', 'psst'));
        expect(await fixture.store.rooms.openDm('dm-ab', ['bob', 'alice'])).toMatchObject({ kind: 'dm', lastSeq: 1 });
      });

      it("lists every public room and only the user's own private rooms and DMs, with their members", async () => {
        await fixture.store.rooms.ensure('general');
        await fixture.store.rooms.createPrivate('alices', 'alice');
        await fixture.store.rooms.createPrivate('bobs', 'bob');
        await fixture.store.rooms.addMember('bobs', 'carol');
        await fixture.store.rooms.openDm('dm-ab', ['alice', 'bob']);
        await fixture.store.rooms.openDm('dm-bc', ['bob', 'carol']);
        const byName = async (user: string) => (await fixture.store.rooms.listFor(user)).sort((a, b) => a.name.localeCompare(b.name));
        expect(await byName('ALICE')).toEqual([
          { name: 'alices', lastSeq: 0, kind: 'private', owner: 'alice', members: ['alice'] },
          { name: 'dm-ab', lastSeq: 0, kind: 'dm', owner: null, members: expect.arrayContaining(['alice', 'bob']) },
          { name: 'general', lastSeq: 0, kind: 'public', owner: null, members: [] },
        ]);
        expect((await byName('carol')).map((r) => r.name)).toEqual(['bobs', 'dm-bc', 'general']);
        expect((await byName('dave')).map((r) => r.name)).toEqual(['general']);
        await fixture.store.rooms.removeMember('bobs', 'carol');
        expect((await byName('carol')).map((r) => r.name)).toEqual(['dm-bc', 'general']);
      });
    });

    describe('read positions', () => {
      it('moves a read position forward only, per user and room', async () => {
        expect(await fixture.store.reads.positions('alice')).toEqual(new Map());
        expect(await fixture.store.reads.advance('alice', 'general', 5)).toBe(5);
        expect(await fixture.store.reads.advance('ALICE', 'general', 3)).toBe(5);
        expect(await fixture.store.reads.advance('alice', 'general', 9)).toBe(9);
        expect(await fixture.store.reads.advance('alice', 'random', 1)).toBe(1);
        expect(await fixture.store.reads.advance('bob', 'general', 2)).toBe(2);
        expect(await fixture.store.reads.positions('Alice')).toEqual(new Map([['general', 9], ['random', 1]]));
        expect(await fixture.store.reads.positions('bob')).toEqual(new Map([['general', 2]]));
      });

      it('keeps the furthest of concurrent advances, from several replicas', async () => {
        const replicas = [fixture.store, await fixture.harness.reopen({ historyMax: 0 }), await fixture.harness.reopen({ historyMax: 0 })];
        try {
          const seqs = [4, 17, 9, 12, 3, 16, 8, 1];
          await Promise.all(seqs.map((seq, i) => replicas[i % replicas.length]!.reads.advance('alice', 'busy', seq)));
          for (const replica of replicas) expect((await replica.reads.positions('alice')).get('busy')).toBe(17);
        } finally {
          await Promise.all(replicas.slice(1).map((s) => s.close()));
        }
      });
    });

    describe('mentions and unread counts', () => {
      const edit = (text: string, mentions?: string[]): MessageChange => ({ kind: 'edit', text, at: 1_700_000_100_000, ...(mentions ? { mentions } : {}) });

      it('stores the mentions of a post, replaces them on edit and clears them on delete', async () => {
        const { message } = await fixture.store.messages.append(post('r', 'c1', 'alice', 'hi @bob', { mentions: ['bob'] }));
        expect(message.mentions).toEqual(['bob']);
        expect((await fixture.store.messages.find('r', message.id))?.mentions).toEqual(['bob']);
        const plain = (await fixture.store.messages.append(post('r', 'c2', 'alice', 'no one'))).message;
        expect(plain.mentions).toEqual([]);
        const edited = await fixture.store.messages.change('r', message.id, edit('hi @[Carol Ann] and @dave', ['Carol Ann', 'dave']));
        expect(edited?.message.mentions).toEqual(['Carol Ann', 'dave']);
        expect((await fixture.store.messages.change('r', message.id, edit('hi nobody')))?.message.mentions).toEqual([]);
        expect((await fixture.store.messages.change('r', message.id, { kind: 'delete' }))?.message.mentions).toEqual([]);
        expect((await fixture.store.messages.since('r', 0, 10)).messages.find((m) => m.id === message.id)?.mentions).toEqual([]);
      });

      it("counts others' live posts after a position, and those that mention the user", async () => {
        const ids: string[] = [];
        const add = async (author: string, text: string, mentions: string[] = []) =>
          ids.push((await fixture.store.messages.append(post('r', `c${ids.length}`, author, text, { mentions }))).message.id);
        await add('bob', 'one'); // seq 1
        await add('alice', 'mine'); // seq 2: her own never counts
        await add('bob', 'hey @alice', ['Alice']); // seq 3
        await add('carol', 'to @bob', ['bob']); // seq 4
        await add('carol', 'gone @alice', ['Alice']); // seq 5, deleted below
        await fixture.store.messages.change('r', ids[4]!, { kind: 'delete' });
        // An edit takes a seq but is no new post: it does not make an old message unread.
        await fixture.store.messages.change('r', ids[0]!, edit('one, edited'));
        await fixture.store.messages.append(post('quiet', 'q1', 'alice', 'only mine'));

        const counts = await fixture.store.messages.unread('alice', [
          { room: 'r', after: 0 },
          { room: 'quiet', after: 0 },
          { room: 'never', after: 0 },
        ]);
        expect(counts.get('r')).toEqual({ unread: 3, mentions: 1 });
        expect(counts.get('quiet')).toEqual({ unread: 0, mentions: 0 });
        expect(counts.get('never')).toEqual({ unread: 0, mentions: 0 });
        expect((await fixture.store.messages.unread('ALICE', [{ room: 'r', after: 3 }])).get('r')).toEqual({ unread: 1, mentions: 0 });
        expect((await fixture.store.messages.unread('bob', [{ room: 'r', after: 2 }])).get('r')).toEqual({ unread: 1, mentions: 1 });
        expect(await fixture.store.messages.unread('alice', [])).toEqual(new Map());
      });
    });

    describe('search', () => {
      const ts = 1_700_000_000_000;
      const say = async (room: string, text: string, at: number, author = 'alice') =>
        (await fixture.store.messages.append({ room, clientId: `${room}-${at}`, author, text, ts: ts + at })).message;
      const search = (q: string, rooms: string[], extra: { before?: string; limit?: number } = {}) =>
        fixture.store.messages.search({ terms: searchTerms(q), rooms, limit: extra.limit ?? 20, ...(extra.before ? { before: extra.before } : {}) });
      const texts = async (q: string, rooms: string[]) => (await search(q, rooms)).messages.map((m) => m.text);

      it('finds every word as a prefix, without case or diacritics, newest first', async () => {
        await say('r', 'The deployment is done', 1);
        await say('r', 'Coffee at the Café?', 2);
        await say('r', 'deploy the café build', 3);
        await say('r', 'nothing to see', 4);
        expect(await texts('deploy', ['r'])).toEqual(['deploy the café build', 'The deployment is done']);
        expect(await texts('CAFE', ['r'])).toEqual(['deploy the café build', 'Coffee at the Café?']);
        expect(await texts('depl caf', ['r'])).toEqual(['deploy the café build']);
        expect(await texts('ployment', ['r'])).toEqual([]);
        expect(await texts('deploy absent', ['r'])).toEqual([]);
        const found = (await search('café', ['r'])).messages[0];
        expect(found).toMatchObject({ room: 'r', author: 'alice', seq: 3, deleted: false });
      });

      it('searches only the rooms it is given', async () => {
        await say('mine', 'budget plan', 1);
        await say('theirs', 'budget secret', 2);
        expect(await texts('budget', ['mine'])).toEqual(['budget plan']);
        expect(await texts('budget', ['mine', 'theirs'])).toEqual(['budget secret', 'budget plan']);
        expect(await texts('budget', [])).toEqual([]);
        // Paging on from a message of a room not searched finds nothing: its place is not given away.
        const secret = await say('theirs', 'budget later', 3);
        expect(await search('budget', ['mine'], { before: secret.id })).toEqual({ messages: [], hasMore: false });
      });

      it('pages on with before, newest first, saying whether more are left', async () => {
        for (let i = 1; i <= 5; i++) await say('p', `release note ${i}`, i);
        // Two at the same time: the id breaks the tie, so paging neither skips nor repeats one.
        await say('q', 'release note tie', 5);
        const seen: string[] = [];
        let before: string | undefined;
        for (;;) {
          const page = await search('release', ['p', 'q'], { limit: 2, ...(before ? { before } : {}) });
          seen.push(...page.messages.map((m) => m.text));
          if (!page.hasMore) break;
          before = page.messages.at(-1)!.id;
        }
        expect(seen).toHaveLength(6);
        expect(new Set(seen).size).toBe(6);
        expect(seen.slice(2)).toEqual(['release note 4', 'release note 3', 'release note 2', 'release note 1']);
        expect(new Set(seen.slice(0, 2))).toEqual(new Set(['release note 5', 'release note tie']));
      });

      it('follows edits and deletes: the current text only, never a deleted message', async () => {
        const edited = await say('r', 'original wording', 1);
        const deleted = await say('r', 'original secret', 2);
        await fixture.store.messages.change('r', edited.id, { kind: 'edit', text: 'revised wording', at: ts + 10 });
        await fixture.store.messages.change('r', deleted.id, { kind: 'delete' });
        expect(await texts('original', ['r'])).toEqual([]);
        expect(await texts('revised', ['r'])).toEqual(['revised wording']);
        expect(await texts('secret', ['r'])).toEqual([]);
        // Reactions change a message too, and leave its words as they are.
        await fixture.store.messages.change('r', edited.id, { kind: 'react', emoji: '👍', user: 'bob', on: true });
        expect(await texts('wording', ['r'])).toEqual(['revised wording']);
      });

      it('forgets messages trimmed from the history', async () => {
        await fixture.store.close();
        fixture.store = await fixture.harness.reopen({ historyMax: 2 });
        await say('cap', 'ancient lore', 1);
        await say('cap', 'middle lore', 2);
        await say('cap', 'recent lore', 3);
        expect(await texts('lore', ['cap'])).toEqual(['recent lore', 'middle lore']);
      });

      it('leaves no word of a deleted message in the search index', async () => {
        const doomed = await say('r', 'xylophonequartz', 1);
        await fixture.store.messages.change('r', doomed.id, { kind: 'delete' });
        expect(await fixture.harness.rawContains('xylophonequartz')).toBe(false);
      });
    });
  });
}
