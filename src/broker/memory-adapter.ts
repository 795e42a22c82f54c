/**
 * The memory broker: an in-process bus. Socket.IO servers whose brokers share a bus form a cluster
 * inside one process (that is how tests run several replicas); in production `memory` means a single
 * replica, alone on its bus. Messages still go through the codec and arrive after the publishing call
 * has returned, so memory behaves like the networked brokers and runs the same contract suite.
 */
import { EventEmitter } from 'node:events';
import type { Namespace } from 'socket.io';
import { BrokerAdapter, type BrokerAdapterOptions } from './cluster-base.js';
import type { AdapterConstructor, Broker, ResolvedBrokerOptions } from './port.js';

/** Channels carrying encoded cluster messages between the memory brokers of one process. */
export class MemoryBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per adapter (replica × namespace) and channel: the default cap of 10 is no leak signal here.
    this.emitter.setMaxListeners(0);
  }

  publish(channel: string, bytes: Buffer): void {
    queueMicrotask(() => this.emitter.emit(channel, bytes));
  }

  /** Returns the function that unsubscribes. */
  subscribe(channel: string, listener: (bytes: Buffer) => void): () => void {
    this.emitter.on(channel, listener);
    return () => this.emitter.off(channel, listener);
  }
}

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
    const deliver = (bytes: Buffer) => {
      if (this.link.open) this.receive(bytes);
    };
    this.unsubscribes = [
      link.bus.subscribe(namespaceChannel(nsp.name), deliver),
      link.bus.subscribe(memberChannel(this.uid), deliver),
    ];
  }

  protected async send(bytes: Buffer): Promise<void> {
    this.linkOrThrow().bus.publish(namespaceChannel(this.nsp.name), bytes);
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
