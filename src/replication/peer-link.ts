/**
 * The port through which replication messages reach the other replicas. Replication sits below the
 * Socket.IO layer, so the link over the Socket.IO adapter (and so over whichever broker it runs on) is
 * made there: `src/realtime/socket-peer-link.ts`.
 */
import type { ReplicationMessage } from './messages.js';

export interface PeerLink {
  /** Sends to every other replica; at most once, like everything on the broker. Never throws. */
  send(message: ReplicationMessage): void;
  /** Listens to what other replicas send (never to this replica's own messages); returns the unsubscribe. */
  listen(listener: (message: unknown) => void): () => void;
}
