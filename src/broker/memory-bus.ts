/**
 * The memory broker's transport, apart from the driver so that the port's options can name it without
 * importing a driver.
 */

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

export type BusListener = (bytes: Buffer) => void;
