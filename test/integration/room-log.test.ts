/**
 * The room log's events one by one, over real sockets: what each change does and how the room sees it,
 * repeats that change nothing, and every way to get one wrong (the contract's error code, nothing
 * stored, the replica still serving), on both stores; then who may change what, and who hears of it,
 * across three replicas.
 */
import { MongoClient } from 'mongodb';
import type { Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BROKERS } from '../../dev/brokers.js';
import { Browser, collect, request, startReplica, user, type Replica } from '../../dev/harness.js';
import { startTestMongo, type TestMongo } from '../../dev/mongo.js';
import { startReplicaCluster, type ReplicaCluster } from '../../dev/replica-cluster.js';
import type { Message } from '../../src/chat/messages.js';
import { MAX_EMOJI_PER_MESSAGE } from '../../src/realtime/message-change-handlers.js';
import { RATE_LIMITS } from '../../src/realtime/protocol.js';
import { RECOVERY_HISTORY } from '../../src/realtime/room-handlers.js';
import { STORES } from '../helpers/stores.js';
import { act, historyOverHttp, lastSeqOf, RoomView, seqsUpTo } from '../helpers/room-view.js';

interface Member {
  browser: Browser;
  socket: Socket;
}

const refused = (code: string) => ({ ok: false, error: { code, message: expect.any(String) } });
const pollution = (json: string) => JSON.parse(json) as Record<string, unknown>;
/** `count` different emoji: the emoticons block, every one an RGI emoji on its own. */
const emojiRange = (count: number, from = 0) => Array.from({ length: count }, (_, i) => String.fromCodePoint(0x1f600 + from + i));

let mongo: TestMongo;
beforeAll(async () => {
  mongo = await startTestMongo();
});
afterAll(() => mongo.close());

describe.each(Object.keys(STORES))('room log events on the %s store', (kind) => {
  let replica: Replica;
  let alice: Member;
  let bob: Member;
  beforeEach(async () => {
    replica = await startReplica({ env: STORES[kind]!(mongo) });
    alice = await user(replica.url, 'alice');
    bob = await user(replica.url, 'bob');
  });
  afterEach(() => replica.stop());

  const aliceUser = { name: 'alice', avatarUrl: null };

  /** `m` following `room` (joined). */
  async function viewOf(m: Member, room: string): Promise<RoomView> {
    const view = new RoomView(room).follow(m.socket);
    await view.join(m.socket);
    return view;
  }

  it('edits, replies, reacts and deletes, each change reaching the room with a seq of its own', async () => {
    const room = 'general';
    await request(alice.socket, 'room:join', { room });
    const atBob = await viewOf(bob, room);
    const posted = await act(alice.socket, 'message:send', { room, text: 'hello there', clientId: 'm1' });
    expect(posted).toEqual({
      id: expect.any(String),
      room,
      seq: 1,
      updatedSeq: 1,
      clientId: 'm1',
      user: aliceUser,
      text: 'hello there',
      ts: expect.any(Number),
      editedAt: null,
      deleted: false,
      replyTo: null,
      reactions: [],
      mentions: [],
    });
    const reply = await act(bob.socket, 'message:send', { room, text: 'hi!', clientId: 'r1', replyTo: posted.id });
    expect(reply).toMatchObject({ seq: 2, updatedSeq: 2, replyTo: { id: posted.id, user: aliceUser, excerpt: 'hello there' } });

    const edited = await act(alice.socket, 'message:edit', { room, id: posted.id, text: 'hello   world' });
    expect(edited).toEqual({ ...posted, updatedSeq: 3, text: 'hello   world', editedAt: expect.any(Number) });
    expect(await act(bob.socket, 'reaction:add', { room, id: posted.id, emoji: '👍' })).toEqual({ ...edited, updatedSeq: 5, reactions: [{ emoji: '👍', users: ['bob'] }] });
    expect(await act(alice.socket, 'reaction:add', { room, id: posted.id, emoji: '👍' })).toMatchObject({ updatedSeq: 6, reactions: [{ emoji: '👍', users: ['bob', 'alice'] }] });
    expect(await act(bob.socket, 'reaction:remove', { room, id: posted.id, emoji: '👍' })).toMatchObject({ updatedSeq: 7, reactions: [{ emoji: '👍', users: ['alice'] }] });
    const deleted = await act(alice.socket, 'message:delete', { room, id: posted.id });
    expect(deleted).toEqual({ ...posted, updatedSeq: 8, text: '', editedAt: null, deleted: true, replyTo: null, reactions: [] });

    // The reply's quote followed its original twice (the edit, whitespace folded; the deletion): changes of the reply.
    await expect.poll(() => atBob.cursor).toBe(9);
    expect(atBob.live.map((e) => [e.event, e.message.id, e.message.updatedSeq])).toEqual([
      ['message', posted.id, 1],
      ['message', reply.id, 2],
      ['message:changed', posted.id, 3],
      ['message:changed', reply.id, 4],
      ['message:changed', posted.id, 5],
      ['message:changed', posted.id, 6],
      ['message:changed', posted.id, 7],
      ['message:changed', posted.id, 8],
      ['message:changed', reply.id, 9],
    ]);
    expect(atBob.live[3]!.message.replyTo).toEqual({ id: posted.id, user: aliceUser, excerpt: 'hello world' });
    const history = atBob.messages();
    expect(history).toEqual([deleted, { ...reply, updatedSeq: 9, replyTo: { id: posted.id, user: aliceUser, excerpt: null } }]);
    expect(await historyOverHttp(bob.browser, room)).toEqual(history);
    const fresh = await user(replica.url, 'carol');
    expect((await viewOf(fresh, room)).messages()).toEqual(history);
    // The deleted text is gone from the store, not only hidden.
    expect(await replica.store.messages.find(room, posted.id)).toMatchObject({ text: '', deleted: true });
  });

  it('answers a repeated edit, reaction or delete with the message as it is, taking no seq and sending nothing again', async () => {
    const room = 'retries';
    await request(alice.socket, 'room:join', { room });
    const atBob = await viewOf(bob, room);
    const bobElsewhere = await bob.browser.connect();
    await request(bobElsewhere, 'room:join', { room });
    const { id } = await act(alice.socket, 'message:send', { room, text: 'first', clientId: 'm1' });
    const edit = { room, id, text: 'second' };
    const edited = await act(alice.socket, 'message:edit', edit);
    expect(await act(alice.socket, 'message:edit', edit)).toEqual(edited);
    // One user from two tabs at once, and again: one reaction, one seq.
    const react = { room, id, emoji: '🎉' };
    const [here, there] = await Promise.all([act(bob.socket, 'reaction:add', react), act(bobElsewhere, 'reaction:add', react)]);
    expect(here).toEqual(there);
    expect(here).toMatchObject({ updatedSeq: 3, reactions: [{ emoji: '🎉', users: ['bob'] }] });
    // The text form of a symbol is its emoji form: the same reaction.
    expect(await act(bob.socket, 'reaction:add', { room, id, emoji: '❤' })).toMatchObject({ updatedSeq: 4, reactions: [{ emoji: '🎉' }, { emoji: '❤️', users: ['bob'] }] });
    expect(await act(bob.socket, 'reaction:add', { room, id, emoji: '❤️' })).toMatchObject({ updatedSeq: 4 });
    const removed = await act(bob.socket, 'reaction:remove', react);
    expect(await act(bob.socket, 'reaction:remove', react)).toEqual(removed);
    // Removing what was never there changes nothing either.
    expect(await act(alice.socket, 'reaction:remove', { room, id, emoji: '🚀' })).toEqual(removed);
    const deleted = await act(alice.socket, 'message:delete', { room, id });
    expect(await act(alice.socket, 'message:delete', { room, id })).toEqual(deleted);
    expect(deleted.updatedSeq).toBe(6);
    expect(await lastSeqOf(alice.browser, room)).toBe(6);
    // A post after the repeats: once bob has it, any repeat sent again would have come before it.
    await act(alice.socket, 'message:send', { room, text: 'last', clientId: 'm2' });
    await expect.poll(() => atBob.cursor).toBe(7);
    expect(atBob.liveSeqs()).toEqual(seqsUpTo(7));
  });

  it('answers not_found for what is not a live message of the room, and changes nothing', async () => {
    const room = 'general';
    for (const r of [room, 'other']) await request(alice.socket, 'room:join', { room: r });
    const live = await act(alice.socket, 'message:send', { room, text: 'here', clientId: 'live' });
    const elsewhere = await act(alice.socket, 'message:send', { room: 'other', text: 'there', clientId: 'other' });
    const gone = await act(alice.socket, 'message:send', { room, text: 'gone', clientId: 'gone' });
    await act(alice.socket, 'message:delete', { room, id: gone.id });
    const cases: [string, string, Record<string, unknown>][] = [];
    for (const [what, id] of [['an unknown id', 'no-such-message'], ["another room's id", elsewhere.id], ['a deleted message', gone.id]] as const) {
      cases.push(
        [`an edit of ${what}`, 'message:edit', { room, id, text: 'changed' }],
        [`a reaction to ${what}`, 'reaction:add', { room, id, emoji: '👍' }],
        [`a reaction removed from ${what}`, 'reaction:remove', { room, id, emoji: '👍' }],
        [`a reply to ${what}`, 'message:send', { room, text: 'answer', clientId: `re-${id}`, replyTo: id }],
      );
      if (id !== gone.id) cases.push([`a deletion of ${what}`, 'message:delete', { room, id }]);
    }
    const seqsBefore = [await lastSeqOf(alice.browser, room), await lastSeqOf(alice.browser, 'other')];
    for (const [label, event, payload] of cases) expect(await request(alice.socket, event, payload), label).toEqual(refused('not_found'));
    expect([await lastSeqOf(alice.browser, room), await lastSeqOf(alice.browser, 'other')]).toEqual(seqsBefore);
    expect(await replica.store.messages.find('other', elsewhere.id)).toMatchObject({ text: 'there', updatedSeq: elsewhere.updatedSeq });
    expect(await act(alice.socket, 'message:edit', { room, id: live.id, text: 'still editable' })).toMatchObject({ text: 'still editable' });
  });

  it('answers not_found for a message trimmed by HISTORY_MAX', async () => {
    const trimming = await startReplica({ env: { ...STORES[kind]!(mongo), HISTORY_MAX: '3' } });
    try {
      const { browser, socket } = await user(trimming.url, 'alice');
      const room = 'short';
      await request(socket, 'room:join', { room });
      const oldest = await act(socket, 'message:send', { room, text: 'oldest', clientId: 'm0' });
      for (let i = 1; i <= 3; i++) await act(socket, 'message:send', { room, text: `newer ${i}`, clientId: `m${i}` });
      for (const [event, payload] of [
        ['message:edit', { room, id: oldest.id, text: 'too late' }],
        ['message:delete', { room, id: oldest.id }],
        ['reaction:add', { room, id: oldest.id, emoji: '👍' }],
        ['message:send', { room, text: 'answer', clientId: 'late', replyTo: oldest.id }],
      ] as const) {
        expect(await request(socket, event, payload), event).toEqual(refused('not_found'));
      }
      expect(await lastSeqOf(browser, room)).toBe(4);
    } finally {
      await trimming.stop();
    }
  });

  it(`pages a recovery of more than ${RECOVERY_HISTORY} changes with hasMore, in log order`, async () => {
    const room = 'long';
    const total = RECOVERY_HISTORY + 20;
    await Promise.all(Array.from({ length: total }, (_, i) => replica.store.messages.append({ room, clientId: `m${i}`, author: 'alice', text: `message ${i}`, ts: i })));
    // Changes to old messages come last in the log: the second page brings them.
    const first = (await replica.store.messages.since(room, 0, 1)).messages[0]!;
    await replica.store.messages.change(room, first.id, { kind: 'edit', text: 'first, edited', at: Date.now() });
    const view = new RoomView(room);
    expect(await view.join(bob.socket, { recover: true })).toBe(2);
    expect(view.cursor).toBe(total + 1);
    expect(view.messages()).toEqual(await historyOverHttp(bob.browser, room));
    expect(view.messages()[0]).toMatchObject({ seq: 1, updatedSeq: total + 1, text: 'first, edited' });
  });

  it(`takes at most ${MAX_EMOJI_PER_MESSAGE} different emoji on a message`, async () => {
    const room = 'emoji';
    const carol = await user(replica.url, 'carol');
    for (const m of [alice, bob, carol]) await request(m.socket, 'room:join', { room });
    const { id } = await act(alice.socket, 'message:send', { room, text: 'react!', clientId: 'm1' });
    // Two users, since one user's burst is smaller than the cap.
    const half = MAX_EMOJI_PER_MESSAGE / 2;
    for (const [m, from] of [[alice, 0], [bob, half]] as const) {
      await Promise.all(emojiRange(half, from).map((emoji) => act(m.socket, 'reaction:add', { room, id, emoji })));
    }
    const [extra] = emojiRange(1, MAX_EMOJI_PER_MESSAGE);
    expect(await request(carol.socket, 'reaction:add', { room, id, emoji: extra })).toEqual(refused('invalid_input'));
    // One more user of an emoji already there is fine.
    const full = await act(carol.socket, 'reaction:add', { room, id, emoji: emojiRange(1)[0]! });
    expect(full.reactions).toHaveLength(MAX_EMOJI_PER_MESSAGE);
    expect(full.reactions.find((r) => r.emoji === emojiRange(1)[0])).toEqual({ emoji: emojiRange(1)[0], users: ['alice', 'carol'] });
  });
});

describe('bad room log input', () => {
  let replica: Replica;
  let alice: Member;
  let target: Message;
  const room = 'general';

  beforeAll(async () => {
    replica = await startReplica();
    alice = await user(replica.url, 'alice');
    await request(alice.socket, 'room:join', { room });
    target = await act(alice.socket, 'message:send', { room, text: 'target', clientId: 'target' });
  });
  afterAll(() => replica.stop());

  const badIds: [string, unknown][] = [
    ['an operator object as id', { $gt: '' }],
    ['a number as id', 42],
    ['an empty id', ''],
    ['a path as id', '../x'],
    ['a 65-character id', 'a'.repeat(65)],
    ['an array as id', ['x']],
  ];
  const badEmoji: [string, unknown][] = [
    ['a letter', 'a'],
    ['two emoji', '👍👍'],
    ['an emoji and a letter', '👍a'],
    ['markup', '<b>'],
    ['an empty emoji', ''],
    ['a number as emoji', 1],
    ['an operator object as emoji', { $ne: null }],
  ];
  const badText: [string, unknown][] = [
    ['empty text', ''],
    ['whitespace-only text', ' \n\t '],
    ['4001 characters', 'x'.repeat(4001)],
    ['a number as text', 42],
    ['an operator object as text', { $ne: null }],
  ];
  const cases: [string, string, unknown][] = [
    ...badIds.flatMap(([label, id]): [string, string, unknown][] => [
      [`message:edit with ${label}`, 'message:edit', { room, id, text: 'x' }],
      [`message:delete with ${label}`, 'message:delete', { room, id }],
      [`reaction:add with ${label}`, 'reaction:add', { room, id, emoji: '👍' }],
      [`reaction:remove with ${label}`, 'reaction:remove', { room, id, emoji: '👍' }],
      [`message:send with ${label} as replyTo`, 'message:send', { room, text: 'x', clientId: 'bad-reply', replyTo: id }],
    ]),
    ...badEmoji.flatMap(([label, emoji]): [string, string, unknown][] => [
      [`reaction:add with ${label}`, 'reaction:add', { room, id: 'ID', emoji }],
      [`reaction:remove with ${label}`, 'reaction:remove', { room, id: 'ID', emoji }],
    ]),
    ...badText.map(([label, text]): [string, string, unknown] => [`message:edit with ${label}`, 'message:edit', { room, id: 'ID', text }]),
    ['message:edit with an unknown key', 'message:edit', { room, id: 'ID', text: 'x', editedAt: 0 }],
    ['message:delete with an unknown key', 'message:delete', { room, id: 'ID', hard: true }],
    ['reaction:add with an unknown key', 'reaction:add', { room, id: 'ID', emoji: '👍', user: 'bob' }],
    ['message:edit with a __proto__ key', 'message:edit', pollution('{"room": "general", "id": "ID", "text": "x", "__proto__": {"polluted": true}}')],
    ['reaction:add with a __proto__ key', 'reaction:add', pollution('{"room": "general", "id": "ID", "emoji": "👍", "__proto__": {"polluted": true}}')],
    ['message:delete without an id', 'message:delete', { room }],
    ['reaction:add without a room', 'reaction:add', { id: 'ID', emoji: '👍' }],
    ['message:edit as a string', 'message:edit', 'ID'],
    ['message:delete as null', 'message:delete', null],
  ];
  /** The case's payload aimed at the real message (`ID` stands for its id). */
  const aimed = (payload: unknown) => JSON.parse(JSON.stringify(payload).replaceAll('"ID"', JSON.stringify(target.id))) as unknown;

  it.each(cases)('answers %s with invalid_input and changes nothing', async (_label, event, payload) => {
    const ack = await request(alice.socket, event, aimed(payload));
    expect(ack).toEqual(refused('invalid_input'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await replica.store.messages.find(room, target.id)).toMatchObject({ updatedSeq: target.updatedSeq, text: 'target', reactions: [] });
    expect(await lastSeqOf(alice.browser, room)).toBe(target.seq);
  });

  it('answers a flood of edits with rate_limited, taking a seq only for those let through, and keeps serving', async () => {
    const flooder = await user(replica.url, 'flooder');
    await request(flooder.socket, 'room:join', { room: 'flood' });
    const { id } = await act(flooder.socket, 'message:send', { room: 'flood', text: 'spam 0', clientId: 'f0' });
    const acks = await Promise.all(
      Array.from({ length: 2 * RATE_LIMITS['message:edit'].burst }, (_, i) => request(flooder.socket, 'message:edit', { room: 'flood', id, text: `spam ${i + 1}` })),
    );
    const limited = acks.filter((a) => !a.ok);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited.map((a) => a.error.code)).toEqual(limited.map(() => 'rate_limited'));
    expect(await lastSeqOf(flooder.browser, 'flood')).toBe(1 + acks.filter((a) => a.ok).length);
    // Another user, and other events of the flooder, are not held back.
    expect(await act(alice.socket, 'message:edit', { room, id: target.id, text: 'target' })).toMatchObject({ updatedSeq: target.updatedSeq });
    expect((await act(flooder.socket, 'reaction:add', { room: 'flood', id, emoji: '👍' })).reactions).toEqual([{ emoji: '👍', users: ['flooder'] }]);
  });
});

describe('who may change the room log, and who hears of it, across three replicas', () => {
  let cluster: ReplicaCluster;
  let replicas: Replica[];
  beforeAll(async () => {
    cluster = await startReplicaCluster(BROKERS[0]!, { mongoUrl: mongo.databaseUrl() });
    ({ replicas } = cluster);
  });
  afterAll(() => cluster.stop());

  it('lets only the author edit or delete, on any replica', async () => {
    const room = 'authors';
    const alice = await user(replicas[0]!.url, 'alice');
    const others = [await user(replicas[1]!.url, 'bob'), await user(replicas[2]!.url, 'carol')];
    for (const m of [alice, ...others]) await request(m.socket, 'room:join', { room });
    const posted = await act(alice.socket, 'message:send', { room, text: 'mine', clientId: 'm1' });
    for (const { socket } of others) {
      expect(await request(socket, 'message:edit', { room, id: posted.id, text: 'yours now' })).toEqual(refused('forbidden'));
      expect(await request(socket, 'message:delete', { room, id: posted.id })).toEqual(refused('forbidden'));
    }
    expect(await replicas[0]!.store.messages.find(room, posted.id)).toMatchObject({ text: 'mine', deleted: false, updatedSeq: 1 });
    // Anyone in the room may react, and the author may edit from another replica.
    expect(await act(others[0]!.socket, 'reaction:add', { room, id: posted.id, emoji: '👍' })).toMatchObject({ updatedSeq: 2 });
    const aliceElsewhere = await alice.browser.at(replicas[2]!.url).connect();
    await request(aliceElsewhere, 'room:join', { room });
    expect(await act(aliceElsewhere, 'message:edit', { room, id: posted.id, text: 'still mine' })).toMatchObject({ text: 'still mine', updatedSeq: 3 });
  });

  it('answers not_in_room to a socket that has not joined, or has left, on any replica', async () => {
    const room = 'members';
    const alice = await user(replicas[0]!.url, 'alice2');
    await request(alice.socket, 'room:join', { room });
    const posted = await act(alice.socket, 'message:send', { room, text: 'for members', clientId: 'm1' });
    const outsider = await user(replicas[1]!.url, 'outsider');
    const leaver = await user(replicas[2]!.url, 'leaver');
    await request(leaver.socket, 'room:join', { room });
    await request(leaver.socket, 'room:leave', { room });
    // The author's other tab, which never joined, is outside too.
    const aliceTab = await alice.browser.at(replicas[1]!.url).connect();
    for (const socket of [outsider.socket, leaver.socket, aliceTab]) {
      for (const [event, payload] of [
        ['message:edit', { room, id: posted.id, text: 'x' }],
        ['message:delete', { room, id: posted.id }],
        ['reaction:add', { room, id: posted.id, emoji: '👍' }],
        ['reaction:remove', { room, id: posted.id, emoji: '👍' }],
        ['message:send', { room, text: 'x', clientId: 'x', replyTo: posted.id }],
      ] as const) {
        expect(await request(socket, event, payload), event).toEqual(refused('not_in_room'));
      }
    }
    expect(await lastSeqOf(alice.browser, room)).toBe(1);
  });

  it("sends a room's changes to none but its members, on every replica", async () => {
    const room = 'private';
    const alice = await user(replicas[0]!.url, 'alice3');
    const bob = await user(replicas[1]!.url, 'bob3');
    for (const m of [alice, bob]) await request(m.socket, 'room:join', { room });
    // On every replica: a socket in another room, and one that left this one.
    const listeners: Socket[] = [];
    for (const [i, replica] of replicas.entries()) {
      const { socket: away } = await user(replica.url, `away${i}`);
      await request(away, 'room:join', { room: 'lobby' });
      const { socket: left } = await user(replica.url, `left${i}`);
      for (const r of [room, 'lobby']) await request(left, 'room:join', { room: r });
      await request(left, 'room:leave', { room });
      listeners.push(away, left);
    }
    await request(alice.socket, 'room:join', { room: 'lobby' });
    const overheard = listeners.map((s) => ({ messages: collect<Message>(s, 'message'), changes: collect(s, 'message:changed') }));

    const posted = await act(alice.socket, 'message:send', { room, text: 'secret', clientId: 'm1' });
    await act(bob.socket, 'message:send', { room, text: 'reply', clientId: 'm2', replyTo: posted.id });
    await act(alice.socket, 'message:edit', { room, id: posted.id, text: 'still secret' });
    await act(bob.socket, 'reaction:add', { room, id: posted.id, emoji: '🤫' });
    await act(alice.socket, 'message:delete', { room, id: posted.id });
    // Published after the room's changes by the same replica: a listener that has it would have had them first.
    await act(alice.socket, 'message:send', { room: 'lobby', text: 'marker', clientId: 'marker' });
    for (const { messages } of overheard) await expect.poll(() => messages.map((m) => m.text)).toEqual(['marker']);
    for (const { changes } of overheard) expect(changes).toEqual([]);
  });

  it('refuses a connection without a session on every replica, and every replica keeps serving', async () => {
    for (const replica of replicas) {
      await expect(new Browser(replica.url).connect()).rejects.toThrow('unauthorized');
      const forged = new Browser(replica.url);
      forged.cookie = 'chorus.sid=s%3Aforged.signature';
      await expect(forged.connect()).rejects.toThrow('unauthorized');
      expect((await fetch(new URL('/healthz', replica.url))).status).toBe(200);
    }
  });
});

describe('a reply stored while its original was deleted, on MongoDB', () => {
  it('goes out quoting nothing of the deleted text, as a post and then as its re-quote', async () => {
    const url = mongo.databaseUrl();
    const replica = await startReplica({ env: { MONGO_URL: url } });
    const client = await MongoClient.connect(url, { serverSelectionTimeoutMS: 5000 });
    try {
      const alice = await user(replica.url, 'alice');
      const bob = await user(replica.url, 'bob');
      const room = 'general';
      await request(alice.socket, 'room:join', { room });
      await request(bob.socket, 'room:join', { room });
      const original = await act(alice.socket, 'message:send', { room, text: 'the secret plan', clientId: 'o1' });
      // What bob's replica leaves when it quoted the original, claimed the reply and stalled before its seq.
      await client.db().collection('messages').insertOne({
        _id: 'stalled' as never, room, clientId: 'r1', author: 'bob', text: 'yes!', ts: 1,
        editedAt: null, deleted: false, replyTo: { id: original.id, author: 'alice', excerpt: 'the secret plan' }, reactions: [],
      });
      await act(alice.socket, 'message:delete', { room, id: original.id });
      const posts = collect<Message>(alice.socket, 'message');
      const changes = collect<{ message: Message }>(alice.socket, 'message:changed');
      // bob's client retries; the claim is finished now, and its quote follows the deleted original.
      const reply = await act(bob.socket, 'message:send', { room, text: 'yes!', clientId: 'r1' });
      expect(reply).toMatchObject({ id: 'stalled', seq: 3, updatedSeq: 3, replyTo: { id: original.id, excerpt: null } });
      await expect.poll(() => changes.length).toBe(1);
      expect(posts).toEqual([reply]);
      expect(changes[0]!.message).toMatchObject({ id: 'stalled', updatedSeq: 4, replyTo: { excerpt: null } });
      expect(JSON.stringify([posts, changes])).not.toContain('secret');
    } finally {
      await client.close();
      await replica.stop();
    }
  });
});
