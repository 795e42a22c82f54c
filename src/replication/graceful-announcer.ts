/**
 * Turns a replicated key's flips between present and absent into announcements that ignore short
 * absences: present is announced at once, absent only once the key has stayed absent for `graceMs`
 * (checked again then). Presence uses it so that a user hopping between tabs or replicas (the old
 * socket closes before the new one opens) does not flap offline and online; room occupancy, so that a
 * reload or a reconnect does not post "left" and "joined". Each replica runs its own over its own
 * copy of the state, so every replica announces the same settled changes to its own sockets.
 */
export interface GracefulAnnouncerOptions {
  /** How long a key must stay absent before it is announced absent (ms). */
  graceMs: number;
  /** Whether `key` is present now, in the replicated state. */
  isPresent(key: string): boolean;
  announce(key: string, present: boolean): void;
}

export class GracefulAnnouncer {
  readonly #options: GracefulAnnouncerOptions;
  /** Keys last announced present. */
  readonly #announced = new Set<string>();
  readonly #absenceTimers = new Map<string, NodeJS.Timeout>();
  #closed = false;

  constructor(options: GracefulAnnouncerOptions) {
    this.#options = options;
  }

  /** Call after every change to `key`'s state. */
  settle(key: string): void {
    if (this.#closed) return;
    const timer = this.#absenceTimers.get(key);
    if (this.#options.isPresent(key)) {
      clearTimeout(timer);
      this.#absenceTimers.delete(key);
      if (!this.#announced.has(key)) this.#announce(key, true);
    } else if (this.#announced.has(key) && !timer) {
      const check = () => {
        this.#absenceTimers.delete(key);
        if (!this.#options.isPresent(key)) this.#announce(key, false);
      };
      this.#absenceTimers.set(key, setTimeout(check, this.#options.graceMs));
    }
  }

  /** Whether `key` is absent and waiting out its grace (its state must be kept until then). */
  pending(key: string): boolean {
    return this.#absenceTimers.has(key);
  }

  /** Cancels pending announcements; idempotent. */
  close(): void {
    this.#closed = true;
    this.#absenceTimers.forEach(clearTimeout);
    this.#absenceTimers.clear();
  }

  #announce(key: string, present: boolean): void {
    if (present) this.#announced.add(key);
    else this.#announced.delete(key);
    this.#options.announce(key, present);
  }
}
