/**
 * Who is online. Realtime handlers report sockets opening and closing on this replica; readers ask
 * whether a name is online anywhere. This implementation knows one replica; the cluster-wide one
 * (a Vote CRDT per user, replicated through the broker) implements the same interface.
 */
import { EventEmitter } from 'node:events';

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

export class LocalPresence extends EventEmitter implements Presence {
  readonly #sockets = new Map<string, { name: string; count: number }>();

  isOnline(name: string): boolean {
    return this.#sockets.has(name.toLowerCase());
  }

  onlineUsers(): string[] {
    return [...this.#sockets.values()].map((entry) => entry.name);
  }

  socketOpened(name: string): void {
    const key = name.toLowerCase();
    const entry = this.#sockets.get(key);
    if (entry) {
      entry.count += 1;
      return;
    }
    this.#sockets.set(key, { name, count: 1 });
    this.emit('change', { name, online: true } satisfies PresenceChange);
  }

  socketClosed(name: string): void {
    const key = name.toLowerCase();
    const entry = this.#sockets.get(key);
    if (!entry) return;
    entry.count -= 1;
    if (entry.count > 0) return;
    this.#sockets.delete(key);
    this.emit('change', { name: entry.name, online: false } satisfies PresenceChange);
  }
}
