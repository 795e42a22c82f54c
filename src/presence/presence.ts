/**
 * Who is online, as the HTTP routes and socket handlers see it: realtime handlers report sockets
 * opening and closing on this replica; readers ask whether a name is online anywhere in the cluster.
 * `ClusterPresence` implements it.
 */

export interface PresenceChange {
  name: string;
  online: boolean;
}

export interface Presence {
  isOnline(name: string): boolean;
  /** Display names of everyone online. */
  onlineUsers(): string[];
  socketOpened(name: string): void;
  socketClosed(name: string): void;
  /** Fires once per real change: not when a user opens a second tab or closes one of two. */
  on(event: 'change', listener: (change: PresenceChange) => void): this;
  off(event: 'change', listener: (change: PresenceChange) => void): this;
}
