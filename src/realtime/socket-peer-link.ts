/**
 * Replication's peer link over the Socket.IO adapter, and so over whichever broker the adapter runs on
 * (memory, Redis, RabbitMQ, NATS), with no second connection.
 */
import type { PeerLink } from '../replication/peer-link.js';
import type { ChatServer } from './events.js';

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
