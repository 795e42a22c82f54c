/**
 * The memory broker: an in-process bus. Socket.IO servers whose brokers share a bus form a cluster
 * inside one process (that is how tests run several replicas); in production `memory` means a single
 * replica, alone on its bus. Messages still go through the codec and arrive after the publishing call
 * has returned, so memory behaves like the networked brokers and runs the same contract suite.
 */
import type { Namespace } from 'socket.io';
import type { ClusterMessage, Offset } from 'socket.io-adapter';
import { BrokerAdapter, type BrokerAdapterOptions } from './cluster-base.js';
import type { AdapterConstructor, Broker, ResolvedBrokerOptions } from './port.js';

/** Channels carrying encoded cluster messages between the memory brokers of one process. */
export class MemoryBus {
  private readonly channels = new Map<string, Set<BusListener>>();

  /**
   * Delivers `bytes` to every listener of `channel` but `sender`: a replica never hears its own
   * messages, so it does not decode each one only to drop it (the networked brokers' adapters do).
   */
  publish(channel: string, bytes: Buffer, sender?: BusListener): void {
    queueMicrotask(() => {
      for (const listener of this.channels.get(channel) ?? []) if (listener !== sender) listener(bytes);
    });
  }

  /** Whether anyone but `listener` listens on `channel`. */
  heardByOthers(channel: string, listener: BusListener): boolean {
    const listeners = this.channels.get(channel);
    return listeners !== undefined && listeners.size > (listeners.has(listener) ? 1 : 0);
  }

  /** Returns the function that unsubscribes. */
  subscribe(channel: string, listener: BusListener): () => void {
    const listeners = this.channels.get(channel) ?? new Set();
    listeners.add(listener);
    this.channels.set(channel, listeners);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.channels.delete(channel);
    };
  }
}

type BusListener = (bytes: Buffer) => void;

/** One broker's attachment to a bus; closing it is what a lost connection is to the other drivers. */
interface MemoryLink {
  readonly bus: MemoryBus;
  open: boolean;
}

const namespaceChannel = (nsp: string) => `message:${nsp}`;
const memberChannel = (uid: string) => `response:${uid}`;

class MemoryAdapter extends BrokerAdapter {
  private readonly unsubscribes: Array<() => void>;

  constructor(
    nsp: Namespace,
    private readonly link: MemoryLink,
    options: BrokerAdapterOptions,
  ) {
    super(nsp, options);
    this.unsubscribes = [
      link.bus.subscribe(namespaceChannel(nsp.name), this.deliver),
      link.bus.subscribe(memberChannel(this.uid), this.deliver),
    ];
  }

  private readonly deliver = (bytes: Buffer) => {
    if (this.link.open) this.receive(bytes);
  };

  // A replica alone on its bus (memory in production) skips encoding what nobody would hear: that is
  // every chat message's serverSideEmit.
  protected override async doPublish(message: ClusterMessage): Promise<Offset> {
    if (!this.linkOrThrow().bus.heardByOthers(namespaceChannel(this.nsp.name), this.deliver)) return '';
    return super.doPublish(message);
  }

  protected async send(bytes: Buffer): Promise<void> {
    this.linkOrThrow().bus.publish(namespaceChannel(this.nsp.name), bytes, this.deliver);
  }

  protected async sendTo(uid: string, bytes: Buffer): Promise<void> {
    this.linkOrThrow().bus.publish(memberChannel(uid), bytes);
  }

  protected detach(): void {
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
  }

  private linkOrThrow(): MemoryLink {
    if (!this.link.open) throw new Error('memory broker closed');
    return this.link;
  }
}

/** A memory broker on `bus` (a bus of its own when omitted). */
export function createMemoryBroker(options: ResolvedBrokerOptions & { bus?: MemoryBus }): Broker {
  const link: MemoryLink = { bus: options.bus ?? new MemoryBus(), open: true };
  const adapter: AdapterConstructor = function (nsp) {
    return new MemoryAdapter(nsp, link, options);
  };
  return {
    kind: 'memory',
    adapter,
    check: () => (link.open ? Promise.resolve() : Promise.reject(new Error('memory broker closed'))),
    close: async () => {
      link.open = false;
    },
  };
}
