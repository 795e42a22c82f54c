/**
 * What our adapters share. The cluster logic (heartbeats, requests and their responses, who is alive)
 * is socket.io-adapter's `ClusterAdapterWithHeartbeat`; this class turns its messages into bytes and
 * back, so a driver only says how bytes travel.
 *
 * Connection state recovery is not supported: it needs an offset log to replay from, which none of these
 * transports keeps. Leave Socket.IO's `connectionStateRecovery` off with these adapters, or events would
 * carry the empty offset `doPublish` returns as an extra argument.
 */
import type { Logger } from 'pino';
import type { Namespace } from 'socket.io';
import {
  ClusterAdapterWithHeartbeat,
  MessageType,
  type ClusterMessage,
  type ClusterResponse,
  type Offset,
} from 'socket.io-adapter';
import { timeBrokerPublish } from '../observability/dependency-metrics.js';
import { decodeClusterPacket, encode, isClusterResponse, type ClusterPacket } from './codec.js';
import type { ConnectionState } from './connection-state.js';
import type { AdapterConstructor, Broker, BrokerKind, ResolvedBrokerOptions } from './port.js';

/**
 * The adapter of one namespace on one replica. A driver implements `send`, `sendTo` and `detach`, and
 * hands what it receives to `receive`.
 */
export abstract class BrokerAdapter extends ClusterAdapterWithHeartbeat {
  /** Carries this adapter's uid, so the logs of several replicas (or namespaces) can be told apart. */
  protected readonly log: Logger;
  private readonly kind: BrokerKind;
  private closed = false;

  protected constructor(nsp: Namespace, options: ResolvedBrokerOptions) {
    super(nsp, { heartbeatInterval: options.heartbeatInterval, heartbeatTimeout: options.heartbeatTimeout });
    this.log = options.logger.child({ uid: this.uid, nsp: nsp.name });
    this.kind = options.kind;
  }

  /** Sends to every member of this namespace's cluster (its own copy, if any, is dropped on receipt). */
  protected abstract send(bytes: Buffer): Promise<void>;

  /** Sends to the member `uid` of this namespace's cluster. */
  protected abstract sendTo(uid: string, bytes: Buffer): Promise<void>;

  /** Stops receiving and releases this adapter's share of the transport; called once, by `close()`. */
  protected abstract detach(): void;

  /**
   * Tells the other members this one exists: they answer with a heartbeat, so each counts the other at
   * once. Drivers call it whenever their transport (re)connects.
   */
  announce(): void {
    this.publish({ type: MessageType.INITIAL_HEARTBEAT });
  }

  /** Bytes from the transport. Never throws: what can't be decoded or handled is logged and dropped. */
  protected receive(bytes: Uint8Array): void {
    if (this.closed) return;
    let packet: ClusterPacket;
    try {
      packet = decodeClusterPacket(bytes);
    } catch (err) {
      this.log.warn({ err, bytes: bytes.byteLength }, 'dropped an undecodable cluster message');
      return;
    }
    // Fanout hands every member its own publications too.
    if (packet.uid === this.uid) return;
    try {
      if (isClusterResponse(packet)) this.onResponse(packet);
      else this.onMessage(packet);
    } catch (err) {
      this.log.error({ err, type: packet.type, from: packet.uid }, 'cluster message handler failed');
    }
  }

  // Both publish paths may reject (broker down, message too large): ClusterAdapter catches the rejection
  // and still delivers locally, so the failure is only logged here, with the uid.
  protected override async doPublish(message: ClusterMessage): Promise<Offset> {
    await this.transmit(message, (bytes) => this.send(bytes));
    return '';
  }

  protected override async doPublishResponse(requesterUid: string, response: ClusterResponse): Promise<void> {
    await this.transmit(response, (bytes) => this.sendTo(requesterUid, bytes));
  }

  override close(): void {
    if (this.closed) return;
    // Says goodbye (ADAPTER_CLOSE) and stops the heartbeat timers while the transport still carries it.
    super.close();
    this.closed = true;
    this.detach();
  }

  private async transmit(packet: ClusterPacket, via: (bytes: Buffer) => Promise<void>): Promise<void> {
    try {
      await timeBrokerPublish(this.kind, () => via(encode(packet)));
    } catch (err) {
      this.log.debug({ err, type: packet.type }, 'cluster publish failed');
      throw err;
    }
  }
}

/** A driver's connection, shared by the adapters of every namespace on the replica. */
export interface BrokerLink {
  readonly options: ResolvedBrokerOptions;
  readonly state: ConnectionState;
  close(): Promise<void>;
}

/** The `Broker` of a driver: its adapters share `link`, whose state is what `check()` reports. */
export function brokerOnLink<L extends BrokerLink>(link: L, createAdapter: (nsp: Namespace, link: L) => BrokerAdapter): Broker {
  // Socket.IO calls the adapter with `new`, so it must be a function, not an arrow function.
  const adapter: AdapterConstructor = function (nsp) {
    return createAdapter(nsp, link);
  };
  return { kind: link.options.kind, adapter, check: () => link.state.check(), close: () => link.close() };
}
