/**
 * The memory broker: an in-process bus. Socket.IO servers whose brokers share a bus form a cluster
 * inside one process (that is how tests run several replicas); in production `memory` means a single
 * replica, alone on its bus. Messages still go through the codec and arrive after the publishing call
 * has returned, so memory behaves like the networked brokers and runs the same contract suite.
 */
import type { Namespace } from 'socket.io';
import type { ClusterMessage, Offset } from 'socket.io-adapter';
import { BrokerAdapter, brokerOnLink, type BrokerLink } from './broker-adapter.js';
import { ConnectionState } from './connection-state.js';
import type { MemoryBus } from './memory-bus.js';
import type { Broker, ResolvedBrokerOptions } from './port.js';

/** One broker's attachment to a bus: up from the start, and closing it is what a lost connection is to the other drivers. */
class MemoryLink implements BrokerLink {
  readonly state: ConnectionState;
  readonly bus: MemoryBus;

  constructor(readonly options: ResolvedBrokerOptions) {
    this.bus = options.bus;
    this.state = new ConnectionState('memory', options.logger);
    this.state.markUp();
  }

  async close(): Promise<void> {
    this.state.markClosed();
  }
}

const namespaceChannel = (nsp: string) => `message:${nsp}`;
const memberChannel = (uid: string) => `response:${uid}`;

class MemoryAdapter extends BrokerAdapter {
  private readonly unsubscribes: Array<() => void>;

  constructor(
    nsp: Namespace,
    private readonly link: MemoryLink,
  ) {
    super(nsp, link.options);
    this.unsubscribes = [
      link.bus.subscribe(namespaceChannel(nsp.name), this.deliver),
      link.bus.subscribe(memberChannel(this.uid), this.deliver),
    ];
  }

  private readonly deliver = (bytes: Buffer) => {
    if (this.link.state.up) this.receive(bytes);
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
    if (!this.link.state.up) throw new Error('memory broker closed');
    return this.link;
  }
}

/** A memory broker on `options.bus`. */
export function createMemoryBroker(options: ResolvedBrokerOptions): Broker {
  return brokerOnLink(new MemoryLink(options), (nsp, link) => new MemoryAdapter(nsp, link));
}
