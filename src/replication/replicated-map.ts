/**
 * A map from keys (user names) to states of one CRDT type, as one replica holds it: the stateful
 * wrapper around the pure functions of `src/crdt`. It keeps, besides the states, what anti-entropy needs
 * to compare two replicas cheaply: a hash per key, XOR-folded into a fixed number of buckets, and a root
 * digest over the buckets. Two replicas with equal states have equal digests; when the roots differ, the
 * bucket digests say which keys to exchange, so catching up costs the differing buckets, not the map.
 */
import { createHash } from 'node:crypto';

/** What the map needs of a CRDT type. */
export interface CrdtType<S> {
  readonly initial: S;
  merge(a: S, b: S): S;
  /** The canonical compact form: equal states encode equally (the hashes rely on it). */
  encode(state: S): unknown;
  /** Throws on malformed input (a `CrdtDecodeError`). */
  decode(data: unknown): S;
}

/** Where a merged state came from, so listeners can tell a user's own action from news. */
export type ChangeSource = 'local' | 'peer' | 'load';

export interface MapChange<S> {
  key: string;
  before: S;
  after: S;
  source: ChangeSource;
}

/** Buckets of the digest tree: anti-entropy exchanges whole buckets, so more buckets mean smaller exchanges. */
export const BUCKETS = 64;
const HASH_BYTES = 16;

export class ReplicatedMap<S> {
  readonly #type: CrdtType<S>;
  readonly #onChange: (change: MapChange<S>) => void;
  readonly #states = new Map<string, { state: S; hash: Buffer }>();
  readonly #buckets = Array.from({ length: BUCKETS }, () => Buffer.alloc(HASH_BYTES));
  readonly #initialEncoding: string;
  #root: string | undefined;

  constructor(type: CrdtType<S>, onChange: (change: MapChange<S>) => void = () => {}) {
    this.#type = type;
    this.#onChange = onChange;
    this.#initialEncoding = JSON.stringify(type.encode(type.initial));
  }

  get type(): CrdtType<S> {
    return this.#type;
  }

  /** The state under `key`; the initial state when there is none. */
  get(key: string): S {
    return this.#states.get(key)?.state ?? this.#type.initial;
  }

  keys(): IterableIterator<string> {
    return this.#states.keys();
  }

  /**
   * Joins `delta` into the state under `key`. Returns whether the state changed; listeners hear of real
   * changes only, so a repeated or already-known delta is silent.
   */
  merge(key: string, delta: S, source: ChangeSource): boolean {
    const before = this.get(key);
    const after = this.#type.merge(before, delta);
    const changed = this.#put(key, after);
    if (changed) this.#onChange({ key, before, after, source });
    return changed;
  }

  /** Forgets `key` entirely (garbage collection of a state that no longer matters). */
  delete(key: string): void {
    const entry = this.#states.get(key);
    if (!entry) return;
    this.#fold(key, entry.hash);
    this.#states.delete(key);
  }

  /** One string standing for the whole map: equal on two replicas when (and, but for hash collisions, only when) their states are. */
  digest(): string {
    this.#root ??= createHash('sha1').update(Buffer.concat(this.#buckets)).digest('base64url');
    return this.#root;
  }

  /** The digest of every bucket, in bucket order. */
  bucketDigests(): string[] {
    return this.#buckets.map((bucket) => bucket.toString('base64url'));
  }

  /** Every key and state in the buckets where `theirs` (another replica's `bucketDigests`) differs from ours. */
  entriesWhereDifferent(theirs: readonly string[]): Array<[string, S]> {
    const ours = this.bucketDigests();
    const differing = new Set(ours.flatMap((digest, i) => (digest === theirs[i] ? [] : [i])));
    if (differing.size === 0) return [];
    return [...this.#states].filter(([key]) => differing.has(bucketOf(key))).map(([key, { state }]) => [key, state]);
  }

  /** Stores `state` under `key`, keeping hashes and digests in step; returns whether anything changed. */
  #put(key: string, state: S): boolean {
    const encoding = JSON.stringify(this.#type.encode(state));
    const previous = this.#states.get(key);
    // An initial state is stored as no state, so a replica that never heard of a key and one that holds
    // it empty have the same digest.
    if (encoding === this.#initialEncoding) {
      this.delete(key);
      return previous !== undefined;
    }
    const hash = createHash('sha1').update(key).update('\0').update(encoding).digest().subarray(0, HASH_BYTES);
    if (previous?.hash.equals(hash)) return false;
    if (previous) this.#fold(key, previous.hash);
    this.#fold(key, hash);
    this.#states.set(key, { state, hash });
    return true;
  }

  /** XORs a key's hash into (or, the second time, out of) its bucket. */
  #fold(key: string, hash: Buffer): void {
    const bucket = this.#buckets[bucketOf(key)]!;
    for (let i = 0; i < HASH_BYTES; i++) bucket[i] = bucket[i]! ^ hash[i]!;
    this.#root = undefined;
  }
}

/** The bucket a key falls in: the same on every replica. */
export function bucketOf(key: string): number {
  return createHash('sha1').update(key).digest()[0]! % BUCKETS;
}
