/**
 * Replicas in one process without a broker: a `PeerLink` per replica, joined by a hub that delivers
 * asynchronously, as a broker does, and can cut one replica off. For unit tests of the replication
 * layer and of the services on it (presence, friends), with a real `Replicator` per replica.
 */
import { createLogger } from '../../src/observability/logger.js';
import { Replicator, type ReplicatorOptions } from '../../src/replication/replicator.js';

// Named through the Replicator's options, the one place the tests rely on its shape.
type PeerLink = ReplicatorOptions['link'];
export type HubLink = PeerLink & { id: number };

const logger = createLogger({ level: 'silent' });

export class LinkHub {
  readonly #listeners = new Map<number, (message: unknown) => void>();
  /** Links whose messages are dropped both ways, as a partitioned or silent replica's are. */
  readonly isolated = new Set<number>();
  readonly #replicators: Replicator[] = [];
  #next = 0;

  /**
   * A Replicator on a new link of this hub, closed by `close()`. Not started: register the services' maps
   * on it first, then `start()` it, as the app does.
   */
  replicator(options: Omit<ReplicatorOptions, 'link' | 'logger'>): { replicator: Replicator; link: HubLink } {
    const link = this.link();
    const replicator = new Replicator({ ...options, link, logger });
    this.#replicators.push(replicator);
    return { replicator, link };
  }

  /** Closes every replicator `replicator()` started (each says goodbye); idempotent. */
  close(): void {
    for (const replicator of this.#replicators.splice(0)) replicator.close();
  }

  link(): HubLink {
    const id = this.#next++;
    return {
      id,
      send: (message) => {
        if (this.isolated.has(id)) return;
        // A copy through JSON, as a broker would carry it.
        const wire = JSON.parse(JSON.stringify(message)) as unknown;
        for (const [other, listener] of this.#listeners) {
          if (other !== id && !this.isolated.has(other)) queueMicrotask(() => listener(wire));
        }
      },
      listen: (listener) => {
        this.#listeners.set(id, listener);
        return () => this.#listeners.delete(id);
      },
    };
  }

  /** Delivers raw data to every replica, as a foreign publisher on the broker would. */
  inject(message: unknown): void {
    for (const listener of this.#listeners.values()) listener(message);
  }
}
