/**
 * Private conversations across three replicas over each broker: DM opens racing on two replicas make
 * one room; a private room refuses non-members, removed members and banned users on every route, and
 * leaks neither text nor room names; mentions and read positions reach the user's sockets on every
 * replica.
 */
import type { Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BROKERS } from '../../dev/brokers.js';
import { collect, nextEvent, request, user, type Browser } from '../../dev/harness.js';
import { startTestMongo, type TestMongo } from '../../dev/mongo.js';
import { startReplicaCluster, type ReplicaCluster } from '../../dev/replica-cluster.js';
import { dmRoomName } from '../../src/chat/dm.js';
import { requireBroker } from '../helpers/requirements.js';

interface Member {
  browser: Browser;
  socket: Socket;
}

const refused = (code: string) => ({ ok: false, error: { code, message: expect.any(String) } });
const SECRET = 'the launch code is tangerine';

let mongo: TestMongo;
beforeAll(async () => {
  mongo = await startTestMongo();
});
afterAll(() => mongo.close());

describe.each(BROKERS)('private conversations over the $name broker, three replicas', (setup) => {
  let cluster: ReplicaCluster;
  let alice: Member;
  let bob: Member;
  let carol: Member;
  const url = (i: number) => cluster.replicas[i]!.url;

  beforeEach(async (ctx) => {
    await requireBroker(setup, ctx);
    cluster = await startReplicaCluster(setup, { mongoUrl: mongo.databaseUrl(), env: { ADMINS: 'root' } });
    alice = await user(url(0), 'alice');
    bob = await user(url(1), 'bob');
    carol = await user(url(2), 'carol');
  });
  afterEach(async () => {
    for (const m of [alice, bob, carol]) m?.socket.disconnect();
    await cluster?.stop();
  });

  it('gives both people one DM when they open it at once on two replicas', async () => {
    const [a, b] = await Promise.all([request(alice.socket, 'dm:open', { name: 'bob' }), request(bob.socket, 'dm:open', { name: 'alice' })]);
    // Each is online on another replica: the summary's presence is the cluster's.
    expect(a).toMatchObject({ ok: true, room: { name: dmRoomName('alice', 'bob'), dm: { with: { name: 'bob' }, online: true } } });
    expect(b).toMatchObject({ ok: true, room: { name: a.room.name, dm: { with: { name: 'alice' }, online: true } } });
    const listed = await bob.browser.at(url(2)).request('GET', '/api/rooms');
    expect(listed.body.rooms.filter((r: { name: string }) => r.name === a.room.name)).toHaveLength(1);
    expect((await carol.browser.request('GET', '/api/rooms')).body.rooms.map((r: { name: string }) => r.name)).not.toContain(a.room.name);
  });

  it('refuses a non-member, a removed member and a banned user on every route, on every replica, leaking nothing', async () => {
    expect(await request(alice.socket, 'room:create', { room: 'vault', private: true })).toMatchObject({ ok: true, room: { name: 'vault', private: true } });
    const added = nextEvent(bob.socket, 'room:added');
    expect(await request(alice.socket, 'room:invite', { room: 'vault', name: 'bob' })).toMatchObject({ ok: true });
    expect((await added).room).toMatchObject({ name: 'vault' });
    await request(alice.socket, 'room:join', { room: 'vault' });
    expect(await request(bob.socket, 'room:join', { room: 'vault' })).toMatchObject({ ok: true });
    const sent = await request(alice.socket, 'message:send', { room: 'vault', text: SECRET, clientId: 's1' });
    expect(sent.ok).toBe(true);
    const heardByCarol: unknown[] = [];
    carol.socket.onAny((...args: unknown[]) => heardByCarol.push(args));

    /** Every route `who` could read or write the vault by, each refused as `forbidden`. */
    const sweep = async (who: Member, at: number) => {
      const socket = who.socket;
      expect(await request(socket, 'room:join', { room: 'vault' })).toEqual(refused('forbidden'));
      expect(await request(socket, 'room:join', { room: 'vault', sinceSeq: 0 })).toEqual(refused('forbidden'));
      expect(await request(socket, 'message:send', { room: 'vault', text: 'let me in', clientId: `x${at}` })).toEqual(refused('forbidden'));
      expect(await request(socket, 'message:edit', { room: 'vault', id: sent.message.id, text: 'x' })).toEqual(refused('forbidden'));
      expect(await request(socket, 'reaction:add', { room: 'vault', id: sent.message.id, emoji: '👍' })).toEqual(refused('forbidden'));
      expect(await request(socket, 'room:read', { room: 'vault', seq: 1 })).toEqual(refused('forbidden'));
      const browser = who.browser.at(url(at));
      const history = await browser.request('GET', '/api/rooms/vault/messages');
      expect(history.status).toBe(403);
      expect((await browser.request('GET', '/api/search?q=tangerine&room=vault')).status).toBe(403);
      const search = await browser.request('GET', '/api/search?q=tangerine');
      expect(search).toMatchObject({ status: 200, body: { results: [] } });
      const rooms = await browser.request('GET', '/api/rooms');
      expect(JSON.stringify([history.body, search.body, rooms.body])).not.toMatch(/tangerine|vault/);
    };
    for (const at of [0, 1, 2]) await sweep(carol, at);
    // A DM's name pattern that was never opened says no more than any other refusal.
    expect(await request(carol.socket, 'room:join', { room: `dm-${'0'.repeat(40)}` })).toEqual(refused('forbidden'));

    // Removed on replica 0: bob's socket on replica 1 leaves the room at once and hears nothing more of it.
    const removed = nextEvent(bob.socket, 'room:removed');
    const bobRosters = collect(bob.socket, 'room:members');
    const roster = nextEvent(alice.socket, 'room:members');
    await request(alice.socket, 'room:remove', { room: 'vault', name: 'bob' });
    expect(await removed).toEqual({ room: 'vault' });
    // The room's sockets hear its new roster; the removed member's never do.
    expect(await roster).toEqual({ room: 'vault', members: [{ name: 'alice', avatarUrl: null }] });
    const bobHears = collect(bob.socket, 'message');
    await request(alice.socket, 'message:send', { room: 'vault', text: `${SECRET} again`, clientId: 's2' });
    for (const at of [0, 1, 2]) await sweep(bob, at);
    expect(bobHears).toEqual([]);
    expect(bobRosters).toEqual([]);
    expect(JSON.stringify(heardByCarol)).not.toMatch(/tangerine|vault/);
  });

  it('bans a user on every replica at once: sockets disconnected, sign-in and the old session refused', async () => {
    const root = await user(url(0), 'root');
    // Admin powers only with a password: the guest "root" has none yet.
    expect(await request(root.socket, 'user:ban', { name: 'carol' })).toEqual(refused('forbidden'));
    expect((await root.browser.request('POST', '/api/password', { password: 'correct horse battery' })).status).toBeLessThan(300);
    const gone = nextEvent(carol.socket, 'disconnect');
    expect(await request(root.socket, 'user:ban', { name: 'carol' })).toEqual({ ok: true, name: 'carol' });
    await gone;
    expect((await carol.browser.at(url(1)).request('GET', '/api/rooms')).status).toBe(403);
    expect((await carol.browser.at(url(2)).signIn('carol')).status).toBe(403);
    expect(await request(root.socket, 'user:unban', { name: 'carol' })).toEqual({ ok: true, name: 'carol' });
    expect((await carol.browser.at(url(2)).signIn('carol')).status).toBe(200);
    root.socket.disconnect();
  });

  it('tells a mentioned user on every socket, and echoes a read to the reader’s other sockets on another replica', async () => {
    await request(alice.socket, 'room:create', { room: 'team', private: true });
    await request(alice.socket, 'room:invite', { room: 'team', name: 'bob' });
    await request(alice.socket, 'room:join', { room: 'team' });
    const bobElsewhere = await bob.browser.at(url(2)).connect();
    const mentions = [nextEvent(bob.socket, 'mention'), nextEvent(bobElsewhere, 'mention')];
    const carolMentions = collect(carol.socket, 'mention');
    const { message } = await request(alice.socket, 'message:send', { room: 'team', text: 'ping @bob and @carol', clientId: 'm1' });
    expect(message.mentions).toEqual(['bob', 'carol']);
    for (const mention of await Promise.all(mentions)) expect(mention).toMatchObject({ room: 'team', message: { id: message.id } });
    const entry = async () => (await bob.browser.request('GET', '/api/rooms')).body.rooms.find((r: { name: string }) => r.name === 'team');
    expect(await entry()).toMatchObject({ unread: 1, mentions: 1 });

    const echoed = nextEvent(bob.socket, 'room:read');
    expect(await request(bobElsewhere, 'room:read', { room: 'team', seq: message.seq })).toMatchObject({ ok: true, seq: message.seq, unread: 0, mentions: 0 });
    expect(await echoed).toEqual({ room: 'team', seq: message.seq, unread: 0, mentions: 0 });
    expect(await entry()).toMatchObject({ unread: 0, mentions: 0 });
    // Carol may not read the room: her mention went nowhere.
    expect(carolMentions).toEqual([]);
    bobElsewhere.disconnect();
  });
});
