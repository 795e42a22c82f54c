/**
 * In-process Socket.IO replicas joined by a broker, and clients that record what they receive: the
 * pieces of the broker contract and fault tests.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Namespace } from 'socket.io';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { eventually } from '../../dev/eventually.js';
import type { Broker } from '../../src/broker/port.js';

export interface SocketReplica {
  readonly name: string;
  readonly io: Server;
  readonly broker: Broker;
  readonly url: string;
  /** Server-side `note` events received through serverSideEmit, from any namespace: [event, ...args]. */
  readonly serverEvents: unknown[][];
  /** Closes the Socket.IO server (adapters say goodbye), then the broker. Idempotent. */
  stop(): Promise<void>;
  /** Dies without a goodbye: the broker's connection goes first, then the server. Idempotent. */
  crash(): Promise<void>;
}

/**
 * Sets up what every test replica does on a namespace: clients name themselves and ask for rooms in
 * their handshake's `auth`; `relay` broadcasts its payload back as `relayed`; servers answer
 * `question` server-side emits with `<replica>:<arg>`.
 */
function serve(nsp: Namespace, replica: string, serverEvents: unknown[][]): void {
  nsp.on('connection', (socket) => {
    const auth = socket.handshake.auth as { name?: string; rooms?: string[] };
    socket.data = { name: auth.name, replica };
    socket.join(auth.rooms ?? []);
    socket.on('relay', (payload: unknown) => {
      nsp.emit('relayed', payload);
    });
  });
  nsp.on('question', (arg: unknown, callback: (answer: string) => void) => callback(`${replica}:${String(arg)}`));
  nsp.on('note', (...args: unknown[]) => serverEvents.push(['note', ...args]));
}

export async function startSocketReplica(name: string, broker: Broker): Promise<SocketReplica> {
  const httpServer = createServer();
  const io = new Server(httpServer, { transports: ['websocket'] });
  io.adapter(broker.adapter);
  const serverEvents: unknown[][] = [];
  serve(io.of('/'), name, serverEvents);
  io.on('new_namespace', (nsp) => serve(nsp, name, serverEvents));
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return {
    name,
    io,
    broker,
    url: `http://127.0.0.1:${port}`,
    serverEvents,
    stop() {
      stopping ??= io.close().then(() => broker.close());
      return stopping;
    },
    crash() {
      stopping ??= broker.close().then(() => io.close());
      return stopping;
    },
  };
}

/** A client that records every event it receives, in order. */
export class Probe {
  readonly received: Array<{ event: string; args: unknown[] }> = [];
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly name: string,
    readonly socket: ClientSocket,
  ) {
    socket.onAny((event: string, ...args: unknown[]) => {
      this.received.push({ event, args });
      for (const wake of this.waiters) wake();
    });
    // Answers broadcasts with acks by name.
    socket.on('ask', (callback: (name: string) => void) => callback(name));
  }

  /** The arguments of each `event` received so far. */
  events(event: string): unknown[][] {
    return this.received.filter((r) => r.event === event).map((r) => r.args);
  }

  /** Resolves once `event` has been received `count` times (counting those already in). */
  waitFor(event: string, count = 1, timeoutMs = 5_000): Promise<unknown[][]> {
    return this.waitUntil(() => this.events(event).length >= count, `${this.name} to receive ${event} ×${count}`, timeoutMs).then(() =>
      this.events(event),
    );
  }

  /** Resolves once `predicate` holds over what was received. */
  waitUntil(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  close(): void {
    this.socket.disconnect();
  }
}

/** Connects a websocket client named `name` to `replica` (namespace `nsp`), in `rooms`. */
export function connectProbe(replica: SocketReplica, name: string, rooms: string[] = [], nsp = '/'): Promise<Probe> {
  const socket = connectClient(`${replica.url}${nsp}`, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: { name, rooms },
  });
  const probe = new Probe(name, socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(probe));
    socket.once('connect_error', (err) => reject(err));
  });
}

/** Resolves once every replica counts `count` servers in namespace `nsp`. */
export function clusterFormed(replicas: SocketReplica[], count: number, nsp = '/', timeoutMs = 10_000): Promise<unknown> {
  return eventually(
    async () => {
      const counts = await Promise.all(replicas.map((r) => r.io.of(nsp).adapter.serverCount()));
      return counts.every((c) => c === count);
    },
    timeoutMs,
    `${count} servers in ${nsp}`,
  );
}
