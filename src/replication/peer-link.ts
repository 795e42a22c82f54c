/**
 * How replication messages reach the other replicas: through the Socket.IO adapter, and so through
 * whichever broker the adapter runs on (memory, Redis, RabbitMQ, NATS), with no second connection.
 */
import type { ChatServer } from '../realtime/events.js';
import type { ReplicationMessage } from './messages.js';

export interface PeerLink {
  /** Sends to every other replica; at most once, like everything on the broker. Never throws. */
  send(message: ReplicationMessage): void;
  /** Listens to what other replicas send (never to this replica's own messages); returns the unsubscribe. */
  listen(listener: (message: unknown) => void): () => void;
}

export function socketIoPeerLink(io: ChatServer, onSendError: (err: unknown) => void): PeerLink {
  return {
    send(message) {
      try {
        io.serverSideEmit('crdt', message);
      } catch (err) {
        onSendError(err);
      }
    },
    listen(listener) {
      io.on('crdt', listener);
      return () => io.off('crdt', listener);
    },
  };
}
