/**
 * The presence service on its own: `ClusterPresence` on a real Replicator per replica, the replicas joined
 * by an in-process link (no app, no sockets, no broker). Fake timers drive the offline grace and the
 * replicator's timeout, which are the rules under test.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClusterPresence, OFFLINE_GRACE_MS } from '../../src/presence/cluster-presence.js';
import type { PresenceChange } from '../../src/presence/presence.js';
import { LinkHub } from '../helpers/link-hub.js';

const TIMEOUT = 3000;
const GRACE = 500;
/** Long enough for the link's deliveries (microtasks) and the pulls they start. */
const DELIVERY = 10;

describe('ClusterPresence', () => {
  let hub: LinkHub;
  let services: ClusterPresence[];

  const addReplica = (options: { offlineGraceMs?: number } = { offlineGraceMs: GRACE }) => {
    const { link, replicator } = hub.replicator({ timeoutMs: TIMEOUT });
    const presence = new ClusterPresence({ replicator, ...options });
    const changes: PresenceChange[] = [];
    presence.on('change', (change) => changes.push(change));
    replicator.start();
    services.push(presence);
    return { link, presence, changes };
  };

  beforeEach(() => {
    vi.useFakeTimers();
    hub = new LinkHub();
    services = [];
  });

  afterEach(() => {
    for (const presence of services) presence.close();
    hub.close();
    vi.useRealTimers();
  });

  it('keeps a user online while any replica holds one of their sockets, and counts sockets per replica', async () => {
    const [a, b, watcher] = [addReplica(), addReplica(), addReplica()];
    a.presence.socketOpened('alice');
    a.presence.socketOpened('alice');
    b.presence.socketOpened('alice');
    await vi.advanceTimersByTimeAsync(DELIVERY);
    expect(watcher.presence.isOnline('alice')).toBe(true);

    // One of two tabs on a, then b's only socket: a still votes yes.
    a.presence.socketClosed('alice');
    b.presence.socketClosed('alice');
    await vi.advanceTimersByTimeAsync(GRACE * 2);
    expect(watcher.presence.isOnline('alice')).toBe(true);
    expect(watcher.changes).toEqual([{ name: 'alice', online: true }]);

    a.presence.socketClosed('alice');
    await vi.advanceTimersByTimeAsync(GRACE * 2);
    expect(watcher.presence.isOnline('alice')).toBe(false);
    expect(watcher.changes).toEqual([
      { name: 'alice', online: true },
      { name: 'alice', online: false },
    ]);
  });

  it('announces coming online at once and going offline only once the grace period has passed', async () => {
    const [a, watcher] = [addReplica(), addReplica()];
    a.presence.socketOpened('alice');
    await vi.advanceTimersByTimeAsync(DELIVERY);
    expect(watcher.changes).toEqual([{ name: 'alice', online: true }]);
    expect(a.changes).toEqual([{ name: 'alice', online: true }]);

    a.presence.socketClosed('alice');
    await vi.advanceTimersByTimeAsync(DELIVERY);
    // Offline in the state at once, announced only after the grace.
    expect(watcher.presence.isOnline('alice')).toBe(false);
    await vi.advanceTimersByTimeAsync(GRACE - 2 * DELIVERY);
    expect(watcher.changes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2 * DELIVERY);
    expect(watcher.changes.at(-1)).toEqual({ name: 'alice', online: false });
    expect(a.changes.at(-1)).toEqual({ name: 'alice', online: false });
  });

  it('waits OFFLINE_GRACE_MS when no grace is given', async () => {
    const a = addReplica({});
    a.presence.socketOpened('alice');
    a.presence.socketClosed('alice');
    await vi.advanceTimersByTimeAsync(OFFLINE_GRACE_MS - 1);
    expect(a.changes).toEqual([{ name: 'alice', online: true }]);
    await vi.advanceTimersByTimeAsync(1);
    expect(a.changes.at(-1)).toEqual({ name: 'alice', online: false });
  });

  it('finds a user by any case of their name, and lists them as they signed in', async () => {
    const [a, watcher] = [addReplica(), addReplica()];
    a.presence.socketOpened('Alice');
    await vi.advanceTimersByTimeAsync(DELIVERY);
    expect(watcher.presence.isOnline('alice')).toBe(true);
    expect(watcher.presence.isOnline('ALICE')).toBe(true);
    expect(watcher.presence.isOnline('bob')).toBe(false);
    expect(watcher.presence.onlineUsers()).toEqual(['Alice']);
  });

  it('drops only the votes of a replica that falls silent', async () => {
    const [a, b, watcher] = [addReplica(), addReplica(), addReplica()];
    a.presence.socketOpened('alice');
    a.presence.socketOpened('bob');
    b.presence.socketOpened('bob');
    await vi.advanceTimersByTimeAsync(DELIVERY);
    expect(watcher.presence.onlineUsers().sort()).toEqual(['alice', 'bob']);

    hub.isolated.add(a.link.id);
    // The timeout, the sweep after it, then the grace.
    await vi.advanceTimersByTimeAsync(TIMEOUT + 1000 + GRACE + DELIVERY);
    expect(watcher.presence.onlineUsers()).toEqual(['bob']);
    expect(b.presence.onlineUsers()).toEqual(['bob']);
    expect(watcher.changes).toEqual([
      { name: 'alice', online: true },
      { name: 'bob', online: true },
      { name: 'alice', online: false },
    ]);
  });

  it('announces nothing once closed, not even an offline change already waiting out its grace', async () => {
    const a = addReplica();
    a.presence.socketOpened('alice');
    a.presence.socketClosed('alice');
    a.presence.close();
    await vi.advanceTimersByTimeAsync(GRACE * 2);
    expect(a.changes).toEqual([{ name: 'alice', online: true }]);
  });
});
