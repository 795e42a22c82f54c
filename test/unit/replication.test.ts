/**
 * The replication layer on its own: the digest map, the membership view, and replicas joined by an
 * in-process link that can drop messages. Fake timers drive the heartbeat, the timeout and the grace
 * period, which are what these tests are about.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ORSet, Vote } from '../../src/crdt/index.js';
import { ClusterPresence } from '../../src/presence/cluster-presence.js';
import type { PresenceChange } from '../../src/presence/presence.js';
import { orsetType, voteType } from '../../src/replication/crdt-types.js';
import { Membership } from '../../src/replication/membership.js';
import { bucketOf, ReplicatedMap, type MapChange } from '../../src/replication/replicated-map.js';
import type { Replicator } from '../../src/replication/replicator.js';
import { LinkHub, type HubLink } from '../helpers/link-hub.js';

describe('ReplicatedMap', () => {
  const deltas: Array<[string, ORSet.State]> = [];
  let state: ORSet.State = orsetType.initial;
  for (const [owner, friend] of [['alice', 'bob'], ['alice', 'carol'], ['bob', 'alice'], ['dave', 'erin']] as const) {
    const delta = ORSet.add(state, 'r1', `${owner}>${friend}`)!;
    state = orsetType.merge(state, delta);
    deltas.push([owner, delta]);
  }

  const mapWith = (entries: Array<[string, ORSet.State]>) => {
    const map = new ReplicatedMap(orsetType);
    for (const [key, delta] of entries) map.merge(key, delta, 'peer');
    return map;
  };

  it('has equal digests for equal states, whatever the order and repetition of the merges', () => {
    const forward = mapWith(deltas);
    const backward = mapWith([...deltas].reverse().concat(deltas));
    expect(backward.digest()).toBe(forward.digest());
    expect(backward.bucketDigests()).toEqual(forward.bucketDigests());
    expect(mapWith(deltas.slice(1)).digest()).not.toBe(forward.digest());
  });

  it('returns exactly the keys in the buckets that differ', () => {
    const full = mapWith(deltas);
    const missingAlice = mapWith(deltas.filter(([key]) => key !== 'alice'));
    const sent = full.entriesWhereDifferent(missingAlice.bucketDigests()).map(([key]) => key);
    expect(sent).toContain('alice');
    for (const key of sent) expect(bucketOf(key)).toBe(bucketOf('alice'));
    expect(full.entriesWhereDifferent(full.bucketDigests())).toEqual([]);
  });

  it('stores an initial state as no state, and tells listeners of real changes only', () => {
    const changes: Array<MapChange<ORSet.State>> = [];
    const map = new ReplicatedMap(orsetType, (change) => changes.push(change));
    const empty = new ReplicatedMap(orsetType);
    map.merge('alice', orsetType.initial, 'peer');
    expect([...map.keys()]).toEqual([]);
    expect(map.digest()).toBe(empty.digest());

    const delta = ORSet.add(orsetType.initial, 'r1', 'bob')!;
    expect(map.merge('alice', delta, 'local')).toBe(true);
    expect(map.merge('alice', delta, 'peer')).toBe(false);
    expect(changes.map((c) => [c.key, c.source])).toEqual([['alice', 'local']]);

    map.delete('alice');
    expect(map.digest()).toBe(empty.digest());
  });

  it('keeps a removal as a change of state (its context), not as no state', () => {
    const map = new ReplicatedMap(orsetType);
    map.merge('alice', ORSet.add(orsetType.initial, 'r1', 'bob')!, 'local');
    map.merge('alice', ORSet.remove(map.get('alice'), 'r1', 'bob')!, 'local');
    expect([...map.keys()]).toEqual(['alice']);
  });
});

describe('Membership', () => {
  it('counts a replica alive while heard from within the timeout, and dead after', () => {
    const view = new Membership('me', 1000);
    view.heard('a', 0);
    view.heard('a', 500);
    expect(view.alive('me', 99_999)).toBe(true);
    expect(view.alive('a', 1500)).toBe(true);
    expect(view.expire(1500)).toEqual([]);
    expect(view.expire(1501)).toEqual(['a']);
    expect(view.alive('a', 1501)).toBe(false);
    expect(view.peers()).toEqual([]);
  });

  it('gives an id only noticed in a state the timeout from when it was noticed, and never reports it as a peer', () => {
    const view = new Membership('me', 1000);
    expect(view.alive('ghost', 100)).toBe(true);
    expect(view.peers()).toEqual([]);
    expect(view.expire(1101)).toEqual([]);
    expect(view.alive('ghost', 1101)).toBe(false);
  });

  it('keeps a departed replica dead until it is heard from again', () => {
    const view = new Membership('me', 1000);
    view.heard('a', 0);
    expect(view.depart('a')).toBe(true);
    expect(view.depart('a')).toBe(false);
    expect(view.alive('a', 1)).toBe(false);
    view.heard('a', 2);
    expect(view.alive('a', 3)).toBe(true);
    expect(view.peers()).toEqual(['a']);
  });
});

const TIMEOUT = 3000;
const GRACE = 500;

describe('replicas joined by a link', () => {
  let hub: LinkHub;
  let replicas: Array<{ link: HubLink; replicator: Replicator; presence: ClusterPresence; changes: PresenceChange[] }>;

  const addReplica = () => {
    const { link, replicator } = hub.replicator({ timeoutMs: TIMEOUT });
    const presence = new ClusterPresence({ replicator, offlineGraceMs: GRACE });
    const changes: PresenceChange[] = [];
    presence.on('change', (change) => changes.push(change));
    replicator.start();
    const replica = { link, replicator, presence, changes };
    replicas.push(replica);
    return replica;
  };

  beforeEach(() => {
    vi.useFakeTimers();
    hub = new LinkHub();
    replicas = [];
  });

  afterEach(() => {
    for (const { presence } of replicas) presence.close();
    hub.close();
    vi.useRealTimers();
  });

  it('converges presence, and drops the users of a replica that falls silent once the timeout and grace have passed', async () => {
    const [a, b] = [addReplica(), addReplica()];
    a.presence.socketOpened('alice');
    await vi.advanceTimersByTimeAsync(10);
    expect(b.presence.onlineUsers()).toEqual(['alice']);
    expect(b.changes).toEqual([{ name: 'alice', online: true }]);

    hub.isolated.add(a.link.id);
    await vi.advanceTimersByTimeAsync(TIMEOUT);
    expect(b.presence.isOnline('ALICE')).toBe(true);
    await vi.advanceTimersByTimeAsync(1000 + 10);
    expect(b.presence.isOnline('alice')).toBe(false);
    expect(b.changes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(GRACE);
    expect(b.changes).toEqual([
      { name: 'alice', online: true },
      { name: 'alice', online: false },
    ]);

    // Heard again (a healed partition): a finds its vote pruned by b and votes again.
    hub.isolated.delete(a.link.id);
    await vi.advanceTimersByTimeAsync(TIMEOUT);
    expect(b.presence.isOnline('alice')).toBe(true);
    expect(b.changes.at(-1)).toEqual({ name: 'alice', online: true });
  });

  it('drops a replica that says goodbye at once', async () => {
    const [a, b] = [addReplica(), addReplica()];
    a.presence.socketOpened('alice');
    await vi.advanceTimersByTimeAsync(10);
    expect(b.presence.isOnline('alice')).toBe(true);
    a.replicator.close();
    await vi.advanceTimersByTimeAsync(1000 + 10);
    expect(b.presence.isOnline('alice')).toBe(false);
  });

  it('catches up through anti-entropy on changes whose deltas were lost', async () => {
    const [a, b] = [addReplica(), addReplica()];
    await vi.advanceTimersByTimeAsync(10);
    hub.isolated.add(b.link.id);
    a.presence.socketOpened('alice');
    a.presence.socketOpened('bob');
    await vi.advanceTimersByTimeAsync(10);
    hub.isolated.delete(b.link.id);
    expect(b.presence.onlineUsers()).toEqual([]);
    // The next beat shows a's digest differs; b pulls and merges.
    await vi.advanceTimersByTimeAsync(TIMEOUT / 3 + 10);
    expect(b.presence.onlineUsers().sort()).toEqual(['alice', 'bob']);
  });

  it('brings a replica that starts late up to date within a round trip', async () => {
    const a = addReplica();
    a.presence.socketOpened('alice');
    await vi.advanceTimersByTimeAsync(10);
    const late = addReplica();
    await vi.advanceTimersByTimeAsync(10);
    expect(late.presence.onlineUsers()).toEqual(['alice']);
  });

  it('announces no offline flap when a user hops between replicas within the grace period', async () => {
    const [a, b, c] = [addReplica(), addReplica(), addReplica()];
    a.presence.socketOpened('alice');
    await vi.advanceTimersByTimeAsync(10);
    a.presence.socketClosed('alice');
    await vi.advanceTimersByTimeAsync(100);
    b.presence.socketOpened('alice');
    await vi.advanceTimersByTimeAsync(GRACE * 2);
    expect(c.changes).toEqual([{ name: 'alice', online: true }]);
    // Two tabs on one replica: closing one changes nothing.
    b.presence.socketOpened('alice');
    b.presence.socketClosed('alice');
    await vi.advanceTimersByTimeAsync(GRACE * 2);
    expect(c.presence.isOnline('alice')).toBe(true);
    expect(c.changes).toHaveLength(1);
  });

  it('drops malformed messages and states that do not decode, and carries on', async () => {
    const [a, b] = [addReplica(), addReplica()];
    const tampered = { t: 'delta', from: 'intruder', map: 'presence', key: 'eve', state: { v: [['x', -1, 1]] }, at: 0 };
    for (const junk of [null, 'beat', { t: 'nope' }, { t: 'beat', from: 'x', digests: 'all' }, tampered]) hub.inject(junk);
    hub.inject({ t: 'delta', from: 'ok', map: 'presence', key: 'ok-user', state: voteType.encode(Vote.set(voteType.initial, 'ok', true)!), at: 0 });
    a.presence.socketOpened('alice');
    await vi.advanceTimersByTimeAsync(10);
    expect(b.presence.onlineUsers().sort()).toEqual(['alice', 'ok-user']);
    expect(b.presence.isOnline('eve')).toBe(false);
  });
});
