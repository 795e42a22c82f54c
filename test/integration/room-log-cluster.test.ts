/**
 * The room log across three Chorus replicas in one process, sharing a MongoDB (the wire stand-in, or
 * MONGO_URL), over each broker in turn: concurrent edits and reactions from clients on different
 * replicas converge to one room on every socket, and a client away during 50 mixed changes recovers
 * them with `sinceSeq`. Every socket's copy is kept as a client keeps it (test/helpers/room-view.ts) and
 * compared whole, field by field, with the others', a fresh join's and the HTTP history's.
 */
import type { Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BROKERS } from '../../dev/brokers.js';
import { request, user, type Browser, type Replica } from '../../dev/harness.js';
import { startTestMongo, type TestMongo } from '../../dev/mongo.js';
import { startReplicaCluster, type ReplicaCluster } from '../../dev/replica-cluster.js';
import type { Message } from '../../src/chat/messages.js';
import { replyExcerpt } from '../../src/store/room-log.js';
import { requireBroker } from '../helpers/requirements.js';
import { act, historyOverHttp, lastSeqOf, RoomView, seqsUpTo } from '../helpers/room-view.js';

interface Member {
  name: string;
  browser: Browser;
  socket: Socket;
  view: RoomView;
}

/** Each user's reactions, by emoji, whatever order the concurrent reactions landed in. */
const reactors = (message: Message) => Object.fromEntries(message.reactions.map((r) => [r.emoji, [...r.users].sort()]));

/** Posts to `room` as a member, a reply when `replyTo` is given, each message under a clientId of its own. */
function poster(room: string) {
  let sent = 0;
  return (m: Member, text: string, replyTo?: string) => act(m.socket, 'message:send', { room, text, clientId: `c${++sent}`, ...(replyTo ? { replyTo } : {}) });
}

/** Whether every reply in `messages` quotes its original as it is now. */
function quotesAreCurrent(messages: readonly Message[]): boolean {
  const byId = new Map(messages.map((m) => [m.id, m]));
  return messages.every((m) => {
    if (!m.replyTo) return true;
    const original = byId.get(m.replyTo.id)!;
    return m.replyTo.excerpt === (original.deleted ? null : replyExcerpt(original.text));
  });
}


let mongo: TestMongo;
beforeAll(async () => {
  mongo = await startTestMongo();
});
afterAll(() => mongo.close());

for (const setup of BROKERS) {
  describe(`the room log on three replicas over ${setup.name}`, () => {
    let cluster: ReplicaCluster | undefined;
    let replicas: Replica[];

    beforeEach(async (ctx) => {
      await requireBroker(setup, ctx);
      // Rooms wait up to 2 s for a seq the store does not have yet (the sequencer's own patience), so a seq
      // that never reaches a socket was lost, not slow, and each socket's log is the whole log.
      cluster = await startReplicaCluster(setup, { mongoUrl: mongo.databaseUrl() });
      ({ replicas } = cluster);
    });

    afterEach(async () => {
      await cluster?.stop();
      cluster = undefined;
    });

    /** `socket` of `name` following `room`, joined to it. */
    async function following(name: string, browser: Browser, socket: Socket, room: string): Promise<Member> {
      const view = new RoomView(room).follow(socket);
      await view.join(socket);
      return { name, browser, socket, view };
    }

    /** `name`, signed in on replica `at`, following `room`. */
    async function member(name: string, at: number, room: string): Promise<Member> {
      const { browser, socket } = await user(replicas[at]!.url, name);
      return following(name, browser, socket, room);
    }

    /** Another tab of `m`, on replica `at`, following `room`. */
    async function otherTab(m: Member, at: number, room: string): Promise<Member> {
      return following(m.name, m.browser, await m.browser.at(replicas[at]!.url).connect(), room);
    }

    /** Waits until every view holds the room's last seq, and resolves with it. */
    async function settled(browser: Browser, room: string, views: readonly RoomView[]): Promise<number> {
      const lastSeq = await lastSeqOf(browser, room);
      for (const view of views) await expect.poll(() => view.cursor, { timeout: 10_000 }).toBe(lastSeq);
      return lastSeq;
    }

    it('converges concurrent edits and reactions from every replica to one room on every socket', async () => {
      const room = 'converge';
      const alice = await member('alice', 0, room);
      const bob = await member('bob', 1, room);
      const carol = await member('carol', 2, room);
      const aliceElsewhere = await otherTab(alice, 2, room);
      const sockets = [alice, bob, carol, aliceElsewhere];
      const post = poster(room);
      const a1 = await post(alice, 'alice says hi');
      const b1 = await post(bob, 'bob says hi');
      const c1 = await post(carol, 'carol says hi');
      const doomed = await post(alice, 'about to go');
      await post(bob, 'hi alice', a1.id);
      await post(carol, 'hi bob', b1.id);

      const edits = async (m: Member, own: Message) => {
        for (let i = 1; i <= 3; i++) await act(m.socket, 'message:edit', { room, id: own.id, text: `${m.name} edit ${i}` });
      };
      const reactions = (m: Member) =>
        Promise.all(
          [a1, b1, c1].map(async (target) => {
            for (const emoji of ['👍', '🎉']) await act(m.socket, 'reaction:add', { room, id: target.id, emoji });
            if (target === b1) await act(m.socket, 'reaction:remove', { room, id: target.id, emoji: '🎉' });
          }),
        );
      const [editRacingDelete, deleted, aliceEdits] = await Promise.all([
        request(alice.socket, 'message:edit', { room, id: doomed.id, text: 'still here?' }),
        request(aliceElsewhere.socket, 'message:delete', { room, id: doomed.id }),
        // Alice edits from two replicas at once: the edit that took the later seq is the text.
        Promise.all([1, 2, 3].map((i) => act((i % 2 ? alice : aliceElsewhere).socket, 'message:edit', { room, id: a1.id, text: `alice edit ${i}` }))),
        edits(bob, b1),
        edits(carol, c1),
        reactions(alice),
        reactions(bob),
        reactions(carol),
        // One user from two replicas at once, the second in the text form: one reaction.
        act(alice.socket, 'reaction:add', { room, id: c1.id, emoji: '❤️' }),
        act(aliceElsewhere.socket, 'reaction:add', { room, id: c1.id, emoji: '❤' }),
        // A reply racing the edits of its original.
        post(bob, 'what alice said', a1.id),
      ]);
      expect(deleted.ok).toBe(true);
      // The delete wins: the edit either came first or found a tombstone.
      if (!editRacingDelete.ok) expect(editRacingDelete.error.code).toBe('not_found');

      const lastSeq = await settled(bob.browser, room, sockets.map((m) => m.view));
      for (const { view } of sockets) {
        expect(view.liveSeqs()).toEqual(seqsUpTo(lastSeq));
        expect(view.live.filter((e) => (e.event === 'message') !== (e.message.updatedSeq === e.message.seq))).toEqual([]);
      }
      const dave = await member('dave', 1, room);
      const history = dave.view.messages();
      for (const { view } of sockets) expect(view.messages()).toEqual(history);
      expect(await historyOverHttp(dave.browser, room)).toEqual(history);

      const now = (m: Message) => history.find((h) => h.id === m.id)!;
      const everyone = ['alice', 'bob', 'carol'];
      const lastEdit = aliceEdits.reduce((a, b) => (a.updatedSeq > b.updatedSeq ? a : b));
      expect(now(a1)).toMatchObject({ text: lastEdit.text, editedAt: lastEdit.editedAt, deleted: false });
      expect(reactors(now(a1))).toEqual({ '👍': everyone, '🎉': everyone });
      expect(reactors(now(b1))).toEqual({ '👍': everyone });
      expect(reactors(now(c1))).toEqual({ '👍': everyone, '🎉': everyone, '❤️': ['alice'] });
      expect(now(doomed)).toEqual({ ...doomed, updatedSeq: expect.any(Number), text: '', editedAt: null, deleted: true, replyTo: null, reactions: [] });
      expect(quotesAreCurrent(history)).toBe(true);
    });

    it('brings a client that was away during 50 mixed changes back to the room of one that stayed', async () => {
      const room = 'recover';
      const writers = [await member('alice', 0, room), await member('bob', 1, room), await member('carol', 2, room)];
      const [, bob, carol] = writers as [Member, Member, Member];
      const dave = await member('dave', 0, room);
      const post = poster(room);
      const seeds = new Map<Member, Message>();
      for (const m of writers) seeds.set(m, await post(m, `${m.name}'s first`));
      const before = await settled(bob.browser, room, [dave.view]);
      dave.socket.disconnect();

      // Rounds in which every writer makes one change at once, each kind in turn: posts, replies to
      // the next writer's first message, reactions to it, edits of one's own first message (which
      // re-quote the replies to it), removals of the last reaction, deletions of one's oldest post.
      const kinds = ['post', 'reply', 'react', 'edit', 'unreact', 'delete'] as const;
      const emoji = ['👍', '🎉', '🚀'];
      const posts = new Map<Member, Message[]>(writers.map((m) => [m, []]));
      const change = async (m: Member, round: number) => {
        const next = seeds.get(writers[(writers.indexOf(m) + 1) % writers.length]!)!;
        const reaction = { room, id: next.id, emoji: emoji[Math.floor(round / kinds.length)]! };
        switch (kinds[round % kinds.length]!) {
          case 'post':
            return posts.get(m)!.push(await post(m, `${m.name} in round ${round}`));
          case 'reply':
            return posts.get(m)!.push(await post(m, `${m.name} answers in round ${round}`, next.id));
          case 'react':
            return act(m.socket, 'reaction:add', reaction);
          case 'edit':
            return act(m.socket, 'message:edit', { room, id: seeds.get(m)!.id, text: `${m.name}'s first, edited in round ${round}` });
          case 'unreact':
            return act(m.socket, 'reaction:remove', reaction);
          case 'delete':
            return act(m.socket, 'message:delete', { room, id: posts.get(m)!.shift()!.id });
        }
      };
      for (let round = 0; round < 17; round++) await Promise.all(writers.map((m) => change(m, round)));
      expect((await lastSeqOf(bob.browser, room)) - before).toBeGreaterThanOrEqual(50);

      // Back on another replica, from where it left off.
      const back = await dave.browser.at(replicas[1]!.url).connect();
      await dave.view.follow(back).join(back, { recover: true });
      await settled(bob.browser, room, [carol.view, dave.view]);
      const stayed = carol.view.messages();
      expect(dave.view.messages()).toEqual(stayed);
      expect(await historyOverHttp(bob.browser, room)).toEqual(stayed);
      expect((await member('erin', 2, room)).view.messages()).toEqual(stayed);
      expect(stayed.filter((m) => m.deleted)).toHaveLength(6);
      expect(stayed.filter((m) => m.editedAt !== null)).toHaveLength(3);
      expect(quotesAreCurrent(stayed)).toBe(true);

      // And live again where it came back.
      await act(bob.socket, 'message:edit', { room, id: seeds.get(bob)!.id, text: 'once more' });
      await settled(bob.browser, room, [carol.view, dave.view]);
      expect(dave.view.messages()).toEqual(carol.view.messages());
    });
  });
}
