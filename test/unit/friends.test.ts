/**
 * The friends service on its own: `Friends` on a real Replicator per replica, the replicas joined by an
 * in-process link and sharing one real embedded store (as replicas share their database). Real timers,
 * except in the test of a peer's death, which fakes the replicator's heartbeat, sweep and clock.
 */
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../dev/harness.js';
import { Friends } from '../../src/friends/friends.js';
import { createLogger } from '../../src/observability/logger.js';
import { createEmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { StoreUnavailableError, type FriendsRepository, type Store } from '../../src/store/port.js';
import { LinkHub } from '../helpers/link-hub.js';

const TIMEOUT = 3000;
const logger = createLogger({ level: 'silent' });

/** The store's repository, with a switch that makes it refuse every call, as a store that went away does. */
function switchableRepository(repository: FriendsRepository) {
  const down = () => Promise.reject(new StoreUnavailableError('friends: the store is down'));
  return {
    failing: false,
    all() {
      return this.failing ? down() : repository.all();
    },
    update(owner: string, merge: (saved: unknown) => unknown) {
      return this.failing ? down() : repository.update(owner, merge);
    },
  };
}

describe('Friends', () => {
  let hub: LinkHub;
  let dataDir: string;
  let store: Store;
  let services: Friends[];

  const addReplica = async (repository: FriendsRepository = store.friends) => {
    const { link, replicator } = hub.replicator({ timeoutMs: TIMEOUT });
    const loading = Friends.load({ replicator, repository, logger });
    replicator.start();
    const friends = await loading;
    const changes: string[] = [];
    friends.on('change', (owner) => changes.push(owner));
    services.push(friends);
    return { link, replicator, friends, changes };
  };

  /** `owner`'s list as the store holds it: read by a replica that hears no peers. */
  const savedList = async (owner: string) => {
    const { replicator } = new LinkHub().replicator({ timeoutMs: TIMEOUT });
    const friends = await Friends.load({ replicator, repository: store.friends, logger });
    friends.close();
    return friends.list(owner);
  };

  beforeEach(async () => {
    hub = new LinkHub();
    dataDir = tempDir();
    store = await createEmbeddedStore({ dataDir, historyMax: 100 });
    services = [];
  });

  afterEach(async () => {
    for (const friends of services) friends.close();
    hub.close();
    vi.useRealTimers();
    await store.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('adds and removes durably, answering whether the list changed', async () => {
    const { friends } = await addReplica();
    expect(await friends.add('alice', 'carol')).toBe(true);
    expect(await friends.add('alice', 'bob')).toBe(true);
    expect(await friends.add('alice', 'bob')).toBe(false);
    expect(friends.list('alice')).toEqual(['bob', 'carol']);
    expect(await friends.remove('alice', 'carol')).toBe(true);
    expect(await friends.remove('alice', 'carol')).toBe(false);

    expect(await savedList('alice')).toEqual(['bob']);
  });

  it('knows who follows a name, on every replica', async () => {
    const [a, b] = [await addReplica(), await addReplica()];
    await a.friends.add('alice', 'carol');
    await b.friends.add('bob', 'carol');
    for (const { friends } of [a, b]) await expect.poll(() => friends.followersOf('carol').sort()).toEqual(['alice', 'bob']);

    await a.friends.remove('alice', 'carol');
    for (const { friends } of [a, b]) await expect.poll(() => friends.followersOf('carol')).toEqual(['bob']);
    expect(b.friends.followersOf('alice')).toEqual([]);
  });

  it("sends a change to the other replicas, which say whose list changed; the replica that made it does not", async () => {
    const [a, b] = [await addReplica(), await addReplica()];
    await a.friends.add('alice', 'bob');
    await expect.poll(() => b.friends.list('alice')).toEqual(['bob']);
    expect(b.changes).toEqual(['alice']);
    expect(a.changes).toEqual([]);
  });

  it('makes no change the store did not take, here or on its peers', async () => {
    const repository = switchableRepository(store.friends);
    const [a, b] = [await addReplica(repository), await addReplica()];
    repository.failing = true;
    await expect(a.friends.add('alice', 'bob')).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(a.friends.list('alice')).toEqual([]);

    // A later change from a reaches b after anything a sent before it.
    repository.failing = false;
    await a.friends.add('dave', 'erin');
    await expect.poll(() => b.friends.list('dave')).toEqual(['erin']);
    expect(b.friends.list('alice')).toEqual([]);
    expect(await savedList('alice')).toEqual([]);
  });

  it('starts with every saved list, skipping one that does not decode', async () => {
    await store.friends.update('mallory', () => ({ not: 'an orset' }));
    const { friends } = await addReplica();
    await friends.add('alice', 'bob');
    expect(await savedList('alice')).toEqual(['bob']);
    expect(await savedList('mallory')).toEqual([]);
  });

  it('does not start when the store cannot be read', async () => {
    const repository = switchableRepository(store.friends);
    repository.failing = true;
    await expect(addReplica(repository)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('reloads the lists from the store when a peer dies, so a change it saved but never sent is kept', async () => {
    // Only the replicators' timers and clock: the store's own timers stay real.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const [a, b] = [await addReplica(), await addReplica()];
    await expect.poll(() => b.replicator.membership.peers()).toEqual([a.replicator.self]);
    hub.isolated.add(a.link.id);
    await a.friends.add('alice', 'bob');
    expect(b.friends.list('alice')).toEqual([]);

    // The timeout and the sweep after it: b counts a dead and reads the store again.
    await vi.advanceTimersByTimeAsync(TIMEOUT + 1000);
    await expect.poll(() => b.friends.list('alice')).toEqual(['bob']);
    expect(b.changes).toEqual(['alice']);
  });
});
