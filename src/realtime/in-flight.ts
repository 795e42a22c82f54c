/**
 * The socket event handlers still running, per socket and in all. A handler counts until its ack has
 * been handed to Socket.IO, so a drain that waits for a socket to be idle before closing it knows that
 * every event the socket sent has been answered, and one that waits for all of them before the store is
 * closed knows that no write is cut off halfway.
 */
export class InFlight {
  readonly #bySocket = new Map<string, number>();
  #total = 0;
  readonly #waiters = new Set<{ socketId: string | undefined; resolve: () => void }>();

  /** Runs `work` for `socketId`, counted from now until it settles. */
  async track<T>(socketId: string, work: () => Promise<T>): Promise<T> {
    this.#change(socketId, 1);
    try {
      return await work();
    } finally {
      this.#change(socketId, -1);
    }
  }

  /** How many run for `socketId`, or in all without one. */
  count(socketId?: string): number {
    return socketId === undefined ? this.#total : (this.#bySocket.get(socketId) ?? 0);
  }

  /** Resolves once none runs for `socketId` (or none at all without one): at once if none does now. */
  idle(socketId?: string): Promise<void> {
    if (this.count(socketId) === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.add({ socketId, resolve }));
  }

  #change(socketId: string, delta: 1 | -1): void {
    const count = (this.#bySocket.get(socketId) ?? 0) + delta;
    if (count === 0) this.#bySocket.delete(socketId);
    else this.#bySocket.set(socketId, count);
    this.#total += delta;
    if (delta > 0) return;
    for (const waiter of this.#waiters) {
      if (this.count(waiter.socketId) > 0) continue;
      this.#waiters.delete(waiter);
      waiter.resolve();
    }
  }
}
