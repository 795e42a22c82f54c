/**
 * The broker contract: every driver (memory, redis, rabbit, nats) runs this suite, declaring where it
 * knowingly departs from it (`KnownGaps`). Three Socket.IO replicas in this process, each with its own
 * broker, and websocket clients on each:
 *
 *   replica a: a1 (red)   a2
 *   replica b: b1 (red, blue)   b2 (blue)
 *   replica c: c1 (red)   c2
 *
 * Negative assertions ("did not receive") are made after a later `sync` broadcast from the same sender
 * has reached every client: messages from one sender arrive in order, so whatever was going to arrive
 * before it has.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Broker, BrokerOptions } from '../../src/broker/port.js';
import {
  clusterFormed,
  connectProbe,
  startSocketReplica,
  type Probe,
  type SocketReplica,
} from '../helpers/socket-cluster.js';
import { uniquePrefix } from '../../dev/brokers.js';
import { eventually } from '../../dev/eventually.js';

/** Short heartbeats, so that a dead replica is forgotten within the test's time. */
export const TEST_HEARTBEAT = { heartbeatInterval: 200, heartbeatTimeout: 1_000 } as const;

/**
 * Makes the brokers of one test's cluster. Called once per test; the function it returns is called once
 * per replica, with options that already carry a prefix unique to the test.
 */
export type ClusterBrokers = () => (options: BrokerOptions) => Broker;

/** Where a driver knowingly departs from the contract; each one is asserted as it is, so a fix shows. */
export interface KnownGaps {
  /**
   * Server-side emits travel as JSON (@socket.io/redis-adapter stringifies them, their acks and
   * fetchSockets results too), so a Buffer argument arrives as `{ type: 'Buffer', data: [...] }`.
   */
  jsonServerSideEmit?: boolean;
}

export function brokerContract(driver: string, makeBrokers: ClusterBrokers, gaps: KnownGaps = {}): void {
  describe(`broker contract: ${driver}`, () => {
    let replicas: SocketReplica[];
    let a: SocketReplica;
    let b: SocketReplica;
    let c: SocketReplica;
    const probes = new Map<string, Probe>();
    const probe = (name: string): Probe => {
      const found = probes.get(name);
      if (!found) throw new Error(`no client ${name}`);
      return found;
    };
    const all = () => [...probes.values()];
    let syncs = 0;

    /** Broadcasts `sync` from `from` and waits until every client has it. */
    async function sync(from: SocketReplica = a): Promise<void> {
      const token = ++syncs;
      from.io.emit('sync', token);
      await Promise.all(all().map((p) => p.waitUntil(() => p.events('sync').some(([t]) => t === token), `${p.name} to sync`)));
    }

    const names = (clients: Probe[]) => clients.map((p) => p.name).sort();
    const receivers = (event: string) => names(all().filter((p) => p.events(event).length > 0));

    beforeEach(async () => {
      const makeBroker = makeBrokers();
      const options: BrokerOptions = { ...TEST_HEARTBEAT, prefix: uniquePrefix() };
      replicas = await Promise.all(['a', 'b', 'c'].map((name) => startSocketReplica(name, makeBroker(options))));
      [a, b, c] = replicas as [SocketReplica, SocketReplica, SocketReplica];
      await clusterFormed(replicas, 3);
      const layout: Array<[SocketReplica, string, string[]]> = [
        [a, 'a1', ['red']],
        [a, 'a2', []],
        [b, 'b1', ['red', 'blue']],
        [b, 'b2', ['blue']],
        [c, 'c1', ['red']],
        [c, 'c2', []],
      ];
      const connected = await Promise.all(layout.map(([replica, name, rooms]) => connectProbe(replica, name, rooms)));
      for (const p of connected) probes.set(p.name, p);
    });

    afterEach(async () => {
      for (const p of probes.values()) p.close();
      probes.clear();
      await Promise.all(replicas.map((r) => r.stop()));
    });

    it('counts three servers on every replica', async () => {
      expect(await Promise.all(replicas.map((r) => r.io.of('/').adapter.serverCount()))).toEqual([3, 3, 3]);
    });

    it('broadcasts to every client on every replica, once', async () => {
      b.io.emit('hello', 'everyone');
      await Promise.all(all().map((p) => p.waitFor('hello')));
      await sync(b);
      for (const p of all()) expect(p.events('hello')).toEqual([['everyone']]);
    });

    it('broadcasts to a room: members on every replica, nobody else', async () => {
      a.io.to('red').emit('msg', 'red only');
      await sync();
      expect(receivers('msg')).toEqual(['a1', 'b1', 'c1']);
    });

    it('broadcasts to several rooms once per socket, even a socket in two of them', async () => {
      a.io.to(['red', 'blue']).emit('msg', 'red or blue');
      await sync();
      expect(receivers('msg')).toEqual(['a1', 'b1', 'b2', 'c1']);
      expect(probe('b1').events('msg')).toHaveLength(1);
    });

    it('leaves out the excepted rooms', async () => {
      c.io.except('red').emit('msg', 'not red');
      await sync(c);
      expect(receivers('msg')).toEqual(['a2', 'b2', 'c2']);
    });

    it('keeps local broadcasts on the local replica, room members elsewhere included', async () => {
      a.io.local.emit('local', 'a only');
      a.io.local.to('red').emit('local-red', 'red on a only');
      await sync();
      expect(receivers('local')).toEqual(['a1', 'a2']);
      expect(receivers('local-red')).toEqual(['a1']);
    });

    it('carries binary payloads intact', async () => {
      const bytes = Buffer.from([0, 1, 2, 127, 128, 254, 255]);
      a.io.emit('binary', bytes, { nested: bytes.subarray(2, 5), name: 'n' });
      probe('a1').socket.emit('relay', Buffer.from('from a client'));
      const remote = probe('c2');
      const [[payload, wrapper]] = (await remote.waitFor('binary')) as [[Buffer, { nested: Buffer; name: string }]];
      expect(Buffer.isBuffer(payload)).toBe(true);
      expect(payload.equals(bytes)).toBe(true);
      expect(Buffer.from(wrapper.nested).equals(bytes.subarray(2, 5))).toBe(true);
      expect(wrapper.name).toBe('n');
      const [[relayed]] = (await probe('b2').waitFor('relayed')) as [[Buffer]];
      expect(Buffer.from(relayed).toString()).toBe('from a client');
    });

    it('carries a 1 MB payload', async () => {
      const big = Buffer.alloc(1_000_000);
      for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
      b.io.emit('big', big);
      for (const name of ['a1', 'c2']) {
        const [[payload]] = (await probe(name).waitFor('big', 1, 10_000)) as [[Buffer]];
        expect(payload.length).toBe(big.length);
        expect(Buffer.from(payload).equals(big)).toBe(true);
      }
    });

    it('joins and leaves rooms on other replicas', async () => {
      await a.io.in(socketOf('b2')).socketsJoin('green');
      a.io.to('green').emit('green', 1);
      await probe('b2').waitFor('green');

      await a.io.in('green').socketsLeave('green');
      a.io.to('green').emit('green', 2);
      await sync();
      expect(probe('b2').events('green')).toEqual([[1]]);
      expect(receivers('green')).toEqual(['b2']);
    });

    it('disconnects sockets on other replicas', async () => {
      const disconnected = new Promise<string>((resolve) => probe('c1').socket.once('disconnect', resolve));
      await a.io.in(socketOf('c1')).disconnectSockets();
      expect(await disconnected).toBe('io server disconnect');
      expect(probe('c2').socket.connected).toBe(true);
    });

    it('fetches sockets across replicas, with their data and rooms', async () => {
      const sockets = await a.io.fetchSockets();
      expect(sockets.map((s) => s.data.name).sort()).toEqual(['a1', 'a2', 'b1', 'b2', 'c1', 'c2']);
      const b1 = sockets.find((s) => s.data.name === 'b1');
      expect(b1?.data).toEqual({ name: 'b1', replica: 'b' });
      expect([...(b1?.rooms ?? [])].filter((r) => r !== b1?.id).sort()).toEqual(['blue', 'red']);
      const red = await b.io.in('red').fetchSockets();
      expect(red.map((s) => s.data.name).sort()).toEqual(['a1', 'b1', 'c1']);
    });

    it('emits server-side events to the other replicas, binary arguments as Buffers', async () => {
      a.io.serverSideEmit('note', 'from a', 42, Buffer.from('bytes'));
      await eventually(() => b.serverEvents.length === 1 && c.serverEvents.length === 1, 5_000, 'notes on b and c');
      for (const r of [b, c]) {
        const [event, text, number, bytes] = r.serverEvents[0] as [string, string, number, Buffer];
        expect([event, text, number]).toEqual(['note', 'from a', 42]);
        if (gaps.jsonServerSideEmit) expect(bytes).toEqual(Buffer.from('bytes').toJSON());
        else expect(Buffer.isBuffer(bytes) && bytes.toString()).toBe('bytes');
      }
      expect(a.serverEvents).toEqual([]);
    });

    it('collects server-side acknowledgements from the two other replicas', async () => {
      const answers = await a.io.serverSideEmitWithAck('question', 'q');
      expect([...answers].sort()).toEqual(['b:q', 'c:q']);
    });

    it('collects client acknowledgements of a broadcast from every replica', async () => {
      const answers = (await b.io.timeout(5_000).emitWithAck('ask')) as string[];
      expect([...answers].sort()).toEqual(['a1', 'a2', 'b1', 'b2', 'c1', 'c2']);
    });

    it('keeps namespaces apart', async () => {
      for (const r of replicas) r.io.of('/other');
      await clusterFormed(replicas, 3, '/other');
      const other = await connectProbe(b, 'other-b', [], '/other');
      probes.set(other.name, other);
      const outside = all().filter((p) => p !== other);

      a.io.of('/other').emit('news', 'other only');
      await other.waitFor('news');
      a.io.emit('news', 'root only');
      await Promise.all(outside.map((p) => p.waitFor('news')));
      a.io.of('/other').emit('sync', 'other');
      await other.waitUntil(() => other.events('sync').length > 0, 'sync on /other');

      expect(other.events('news')).toEqual([['other only']]);
      for (const p of outside) expect(p.events('news')).toEqual([['root only']]);
    });

    it('forgets a replica that died without a goodbye, after the heartbeat timeout', async () => {
      for (const name of ['c1', 'c2']) probe(name).close();
      probes.delete('c1');
      probes.delete('c2');
      await c.crash();
      await clusterFormed([a, b], 2, '/', TEST_HEARTBEAT.heartbeatTimeout + 5_000);

      const started = Date.now();
      const sockets = await a.io.fetchSockets();
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(sockets.map((s) => s.data.name).sort()).toEqual(['a1', 'a2', 'b1', 'b2']);
      b.io.emit('after', 'crash');
      await Promise.all(all().map((p) => p.waitFor('after')));
    });

    /** The socket id of client `name`, wherever it is connected. */
    function socketOf(name: string): string {
      const id = probe(name).socket.id;
      if (!id) throw new Error(`${name} is not connected`);
      return id;
    }
  });
}
