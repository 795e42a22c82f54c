/**
 * Which replicas are alive, as this one sees it: a replica is alive while it has been heard from
 * within the timeout. A replica known only by name (its id in a CRDT state relayed by someone else)
 * gets the same timeout from the moment it is first noticed. A replica that said goodbye, or timed
 * out, stays dead until it is heard from again (a healed partition); a state relayed by someone else
 * does not bring it back. A restarted replica comes back under a new id.
 */

/** Dead ids remembered, so a stale state naming one is pruned at once; the oldest are forgotten first. */
const DEPARTED_REMEMBERED = 10_000;

export class Membership {
  readonly #self: string;
  readonly #timeoutMs: number;
  /** id -> when last heard from (or, for ids only noticed, when first noticed). */
  readonly #heard = new Map<string, number>();
  readonly #noticedOnly = new Set<string>();
  readonly #departed = new Set<string>();

  constructor(self: string, timeoutMs: number) {
    this.#self = self;
    this.#timeoutMs = timeoutMs;
  }

  /** Records a message from `id`, which proves it alive (again, if it had been counted dead). */
  heard(id: string, now: number): void {
    if (id === this.#self) return;
    this.#departed.delete(id);
    this.#noticedOnly.delete(id);
    this.#heard.set(id, now);
  }

  /** Whether `id` counts as alive now. */
  alive(id: string, now: number): boolean {
    if (id === this.#self) return true;
    if (this.#departed.has(id)) return false;
    const since = this.#heard.get(id);
    if (since === undefined) {
      this.#heard.set(id, now);
      this.#noticedOnly.add(id);
      return true;
    }
    return now - since <= this.#timeoutMs;
  }

  /** Marks `id` dead now; returns whether it was counted alive (heard from) until now. */
  depart(id: string): boolean {
    if (id === this.#self || this.#departed.has(id)) return false;
    const wasPeer = this.#heard.has(id) && !this.#noticedOnly.has(id);
    this.#heard.delete(id);
    this.#noticedOnly.delete(id);
    this.#departed.add(id);
    if (this.#departed.size > DEPARTED_REMEMBERED) this.#departed.delete(this.#departed.values().next().value!);
    return wasPeer;
  }

  /** Marks dead every replica silent for longer than the timeout; returns the peers (not merely noticed ids) that died. */
  expire(now: number): string[] {
    const died: string[] = [];
    for (const [id, since] of this.#heard) {
      if (now - since > this.#timeoutMs && this.depart(id)) died.push(id);
    }
    return died;
  }

  /** The peers heard from and not yet dead. */
  peers(): string[] {
    return [...this.#heard.keys()].filter((id) => !this.#noticedOnly.has(id));
  }
}
