import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Browser, collect, nextEvent, request, startReplica, tempDir, user, type Replica } from '../../dev/harness.js';
import { startTestMongo, type TestMongo } from '../../dev/mongo.js';
import { STORES } from '../helpers/stores.js';

let mongo: TestMongo;
beforeAll(async () => {
  mongo = await startTestMongo();
});
afterAll(() => mongo.close());

describe.each(Object.keys(STORES))('rooms and messages on the %s store', (kind) => {
  let replica: Replica;
  beforeEach(async () => {
    replica = await startReplica({ env: STORES[kind]!(mongo) });
  });
  afterEach(() => replica.stop());

  it('delivers messages to every member in seq order, acking after storing', async () => {
    const alice = await user(replica.url, 'alice');
    const bob = await user(replica.url, 'bob');
    const joined = await request(alice.socket, 'room:join', { room: 'general' });
    expect(joined).toMatchObject({ ok: true, room: 'general', history: [], online: [{ name: 'alice', avatarUrl: null }] });
    const memberJoin = nextEvent(alice.socket, 'member:join');
    await request(bob.socket, 'room:join', { room: 'General' });
    expect(await memberJoin).toEqual({ room: 'general', user: { name: 'bob', avatarUrl: null } });

    const atBob = collect(bob.socket, 'message');
    const atAlice = collect(alice.socket, 'message');
    const sends = [];
    for (let i = 1; i <= 10; i++) {
      const socket = i % 2 ? alice.socket : bob.socket;
      sends.push(request(socket, 'message:send', { room: 'general', text: `hello ${i}`, clientId: `c-${i}` }));
    }
    const acks = await Promise.all(sends);
    expect(acks.every((a) => a.ok)).toBe(true);
    expect(acks.map((a) => a.message.seq).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const first = acks[0].message;
    expect(first).toEqual({
      id: expect.any(String),
      room: 'general',
      seq: first.seq,
      updatedSeq: first.seq,
      clientId: 'c-1',
      user: { name: 'alice', avatarUrl: null },
      text: 'hello 1',
      ts: expect.any(Number),
      editedAt: null,
      deleted: false,
      replyTo: null,
      reactions: [],
      mentions: [],
    });

    await expect.poll(() => atBob.length).toBe(10);
    await expect.poll(() => atAlice.length).toBe(10);
    expect(atBob.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(atAlice).toEqual(atBob);
  });

  it('sends a repeated clientId back as the first message, never a second copy', async () => {
    const alice = await user(replica.url, 'alice');
    const bob = await user(replica.url, 'bob');
    await request(alice.socket, 'room:join', { room: 'general' });
    await request(bob.socket, 'room:join', { room: 'general' });
    const atBob = collect(bob.socket, 'message');
    const first = await request(alice.socket, 'message:send', { room: 'general', text: 'once', clientId: 'dup' });
    const again = await request(alice.socket, 'message:send', { room: 'general', text: 'once', clientId: 'dup' });
    expect(again).toEqual(first);
    const marker = await request(alice.socket, 'message:send', { room: 'general', text: 'after', clientId: 'next' });
    await expect.poll(() => atBob.length).toBe(2);
    expect(atBob.map((m) => m.clientId)).toEqual(['dup', 'next']);
    expect(marker.message.seq).toBe(2);
  });

  it("stores and acks another user's message that reuses someone else's clientId", async () => {
    const alice = await user(replica.url, 'alice');
    const bob = await user(replica.url, 'bob');
    await request(alice.socket, 'room:join', { room: 'general' });
    await request(bob.socket, 'room:join', { room: 'general' });
    const atAlice = collect(alice.socket, 'message');
    const alices = await request(alice.socket, 'message:send', { room: 'general', text: 'from alice', clientId: 'same' });
    const bobs = await request(bob.socket, 'message:send', { room: 'general', text: 'from bob', clientId: 'same' });
    expect(bobs).toMatchObject({ ok: true, message: { seq: alices.message.seq + 1, clientId: 'same', user: { name: 'bob' }, text: 'from bob' } });
    await expect.poll(() => atAlice.map((m) => m.text)).toEqual(['from alice', 'from bob']);
  });

  it('recovers exactly what a client missed with sinceSeq', async () => {
    const alice = await user(replica.url, 'alice');
    const bob = await user(replica.url, 'bob');
    await request(alice.socket, 'room:join', { room: 'general' });
    await request(bob.socket, 'room:join', { room: 'general' });
    await request(alice.socket, 'message:send', { room: 'general', text: 'seen', clientId: 'a1' });
    await expect.poll(async () => (await request(bob.socket, 'room:join', { room: 'general', sinceSeq: 0 })).history.length).toBe(1);
    bob.socket.disconnect();
    for (let i = 2; i <= 4; i++) await request(alice.socket, 'message:send', { room: 'general', text: `missed ${i}`, clientId: `a${i}` });

    const reconnected = await bob.browser.connect();
    const rejoin = await request(reconnected, 'room:join', { room: 'general', sinceSeq: 1 });
    expect(rejoin.history.map((m: { seq: number; text: string }) => [m.seq, m.text])).toEqual([
      [2, 'missed 2'],
      [3, 'missed 3'],
      [4, 'missed 4'],
    ]);
    const caughtUp = await request(reconnected, 'room:join', { room: 'general', sinceSeq: 4 });
    expect(caughtUp.history).toEqual([]);
    reconnected.disconnect();
  });

  it('pages history backwards over HTTP and lists rooms with online counts', async () => {
    const alice = await user(replica.url, 'alice');
    await request(alice.socket, 'room:join', { room: 'paging' });
    // Seeded through the store: 120 sends from one socket would (rightly) hit the rate limit.
    for (let i = 1; i <= 120; i++) await replica.store.messages.append({ room: 'paging', clientId: `p${i}`, author: 'alice', text: `m${i}`, ts: i });

    const newest = await alice.browser.request('GET', '/api/rooms/paging/messages');
    expect(newest.body.messages).toHaveLength(50);
    expect(newest.body.messages[0].seq).toBe(71);
    expect(newest.body.messages.at(-1).seq).toBe(120);
    expect(newest.body.hasMore).toBe(true);
    const older = await alice.browser.request('GET', '/api/rooms/paging/messages?before=71&limit=100');
    expect(older.body.messages.map((m: { seq: number }) => m.seq)).toEqual(Array.from({ length: 70 }, (_, i) => i + 1));
    expect(older.body.hasMore).toBe(false);

    const join = await request(alice.socket, 'room:join', { room: 'paging' });
    expect(join.history.map((m: { seq: number }) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 71 + i));

    const rooms = await alice.browser.request('GET', '/api/rooms');
    expect(rooms.body.rooms).toEqual(expect.arrayContaining([{ name: 'paging', online: 1, lastSeq: 120, unread: 0, mentions: 0 }]));
    expect((await alice.browser.request('GET', '/api/rooms/nowhere/messages')).body.error.code).toBe('not_found');
  });

  it('always lists general', async () => {
    const { browser } = await user(replica.url, 'alice');
    const rooms = await browser.request('GET', '/api/rooms');
    expect(rooms.body.rooms).toEqual(expect.arrayContaining([{ name: 'general', online: 0, lastSeq: 0, unread: 0, mentions: 0 }]));
  });

  it('announces a member leaving only when their last socket leaves', async () => {
    const alice = await user(replica.url, 'alice');
    const bob = await user(replica.url, 'bob');
    const bobTab2 = await bob.browser.connect();
    await request(alice.socket, 'room:join', { room: 'general' });
    await request(bob.socket, 'room:join', { room: 'general' });
    await request(bobTab2, 'room:join', { room: 'general' });
    const leaves = collect(alice.socket, 'member:leave');
    await request(bob.socket, 'room:leave', { room: 'general' });
    const left = nextEvent(alice.socket, 'member:leave');
    bobTab2.disconnect();
    expect(await left).toEqual({ room: 'general', user: { name: 'bob', avatarUrl: null } });
    expect(leaves).toHaveLength(1);
  });

  it('relays typing to the rest of the room only', async () => {
    const alice = await user(replica.url, 'alice');
    const bob = await user(replica.url, 'bob');
    const carol = await user(replica.url, 'carol');
    await request(alice.socket, 'room:join', { room: 'general' });
    await request(bob.socket, 'room:join', { room: 'general' });
    await request(carol.socket, 'room:join', { room: 'elsewhere' });
    const atCarol = collect(carol.socket, 'typing');
    const atAlice = collect(alice.socket, 'typing');
    const typing = nextEvent(bob.socket, 'typing');
    expect(await request(alice.socket, 'typing', { room: 'general', typing: true })).toEqual({ ok: true });
    expect(await typing).toEqual({ room: 'general', user: { name: 'alice', avatarUrl: null }, typing: true });
    expect(atCarol).toEqual([]);
    expect(atAlice).toEqual([]);
  });

  it('refuses to send to a room the socket has not joined', async () => {
    const alice = await user(replica.url, 'alice');
    const ack = await request(alice.socket, 'message:send', { room: 'general', text: 'hi', clientId: 'x' });
    expect(ack).toEqual({ ok: false, error: { code: 'not_in_room', message: expect.any(String) } });
    expect((await request(alice.socket, 'typing', { room: 'general', typing: true })).error.code).toBe('not_in_room');
  });

  it('refuses adding yourself as a friend, in any case, and removes a friend named in another case', async () => {
    const alice = await user(replica.url, 'Alice');
    await user(replica.url, 'Bob');
    for (const name of ['Alice', 'ALICE']) {
      expect(await request(alice.socket, 'friends:add', { name })).toEqual({ ok: false, error: { code: 'invalid_input', message: expect.any(String) } });
    }
    expect(await request(alice.socket, 'friends:add', { name: 'bob' })).toEqual({ ok: true, friends: [{ name: 'Bob', online: true }] });
    expect(await request(alice.socket, 'friends:remove', { name: 'BOB' })).toEqual({ ok: true, friends: [] });
  });
});

describe.each(Object.keys(STORES))('restart on the %s store', (kind) => {
  it('keeps history, rooms and sessions', async () => {
    const dataDir = tempDir();
    const env = STORES[kind]!(mongo);
    const first = await startReplica({ dataDir, env });
    const alice = await user(first.url, 'alice');
    await request(alice.socket, 'room:join', { room: 'durable' });
    await request(alice.socket, 'message:send', { room: 'durable', text: 'before restart', clientId: 'r1' });
    alice.socket.disconnect();
    await first.stop();

    const second = await startReplica({ dataDir, env });
    const browser = new Browser(second.url);
    browser.cookie = alice.browser.cookie;
    expect((await browser.request('GET', '/api/me')).body).toEqual({ user: { name: 'alice', avatarUrl: null } });
    const socket = await browser.connect();
    const join = await request(socket, 'room:join', { room: 'durable' });
    expect(join.history.map((m: { text: string }) => m.text)).toEqual(['before restart']);
    const next = await request(socket, 'message:send', { room: 'durable', text: 'after restart', clientId: 'r2' });
    expect(next.message.seq).toBe(2);
    socket.disconnect();
    await second.stop();
  });
});
