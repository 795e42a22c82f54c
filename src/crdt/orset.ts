/**
 * ORSet: an observed-remove, add-wins set of strings, as an ORSWOT (observed-remove set without
 * tombstones) with delta mutators, after Almeida, Shoker & Baquero, "Delta State Replicated Data Types".
 *
 * Each add is a dot (replica, counter) that the element carries. The causal context records every dot
 * a replica has seen. A dot in the context but in no entry has been removed, so a removed element
 * leaves nothing behind but its dots in the context, and the context compacts into one counter per
 * replica (the version vector) once its dots are contiguous. A remove takes only the dots it observed:
 * an add made concurrently elsewhere carries a dot the remover has not seen, which survives the join.
 *
 * As in Cloudstate, adding an element that is already present is a no-op (no new dot, no delta): it
 * changes nothing the adder can see, and so does not outlive a concurrent remove of the add it observed.
 */
import { compareStrings, fail, readCounter, readList, readNewKey, readRecord, readTuple, sortedEntries } from './wire.js';

/** Dots grouped by replica: replica -> counters. */
export type Dots = ReadonlyMap<string, ReadonlySet<number>>;

/** The dots a replica has seen. */
export interface CausalContext {
  /** replica -> n: dots 1..n of that replica have all been seen. */
  readonly vector: ReadonlyMap<string, number>;
  /** Dots seen beyond the vector (delivered out of order, or carried by a delta). */
  readonly cloud: Dots;
}

/** An ORSet replica's state; deltas are states too. Never mutated. */
export interface State {
  readonly context: CausalContext;
  /** element -> the dots of the adds that put it there; present elements only. */
  readonly entries: ReadonlyMap<string, Dots>;
}

/** Dots in compact form: `[replica, ...counters]` with counters ascending, sorted by replica. */
export type DotsWire = Array<[string, ...number[]]>;

/** The compact form: `v` the vector as `[replica, n]`, `d` the dot cloud, `e` `[element, dots]`, all sorted. */
export interface Wire {
  v: Array<[string, number]>;
  d?: DotsWire;
  e: Array<[string, DotsWire]>;
}

const EMPTY: State = { context: { vector: new Map(), cloud: new Map() }, entries: new Map() };

/** The empty set. */
export function initial(): State {
  return EMPTY;
}

/**
 * Adds elements on behalf of `replica`. Returns the delta (a new dot per element that was absent) to merge
 * locally and send to the others, or null when every element was already present.
 */
export function add(state: State, replica: string, ...elements: string[]): State | null {
  const absent = [...new Set(elements)].filter((element) => !state.entries.has(element));
  if (absent.length === 0) return null;
  let counter = lastCounter(state.context, replica);
  const entries = new Map<string, Dots>();
  const counters = new Set<number>();
  for (const element of absent) {
    counters.add(++counter);
    entries.set(element, new Map([[replica, new Set([counter])]]));
  }
  // The delta's context holds exactly its new dots: a wider one would tell receivers it had seen (and so
  // removed) dots it does not carry.
  return { context: contextOf(new Map([[replica, counters]])), entries };
}

/**
 * Removes an element. The delta carries no entries and, in its context, the dots the removal observed; null
 * when the element is absent. `_replica` is unused (a remove creates no dot) but kept so every mutator has
 * the `(state, replica, ...args)` shape.
 */
export function remove(state: State, _replica: string, element: string): State | null {
  const dots = state.entries.get(element);
  return dots ? { context: contextOf(dots), entries: new Map() } : null;
}

/** Removes every element (as `remove` does each); null when the set is empty. */
export function clear(state: State, _replica: string): State | null {
  if (state.entries.size === 0) return null;
  const dots = new Map<string, Set<number>>();
  for (const elementDots of state.entries.values()) addDots(dots, elementDots);
  return { context: contextOf(dots), entries: new Map() };
}

/**
 * The join: a dot of an element stays if both sides have it, or if one side has it and the other has not
 * seen it (had it seen it, it would have it unless it removed it). Contexts join and compact.
 * Commutative, associative, idempotent.
 */
export function merge(a: State, b: State): State {
  const entries = new Map<string, Dots>();
  for (const element of new Set([...a.entries.keys(), ...b.entries.keys()])) {
    const ours = a.entries.get(element) ?? NO_DOTS;
    const theirs = b.entries.get(element) ?? NO_DOTS;
    const kept = new Map<string, Set<number>>();
    keepDots(kept, ours, theirs, b.context);
    keepDots(kept, theirs, ours, a.context);
    if (kept.size > 0) entries.set(element, kept);
  }
  const cloud = new Map<string, Set<number>>();
  addDots(cloud, a.context.cloud);
  addDots(cloud, b.context.cloud);
  const vector = new Map(a.context.vector);
  for (const [replica, n] of b.context.vector) vector.set(replica, Math.max(n, vector.get(replica) ?? 0));
  return { context: compact(vector, cloud), entries };
}

/** Whether `element` is in the set. */
export function has(state: State, element: string): boolean {
  return state.entries.has(element);
}

/** The elements, sorted (code-unit order) so every replica lists them alike. */
export function values(state: State): string[] {
  return [...state.entries.keys()].sort(compareStrings);
}

/** How many elements the set holds. */
export function size(state: State): number {
  return state.entries.size;
}

/** The compact, JSON- and MessagePack-safe form of a state or delta; canonical (sorted). */
export function encode(state: State): Wire {
  const wire: Wire = {
    v: sortedEntries(state.context.vector),
    e: sortedEntries(state.entries).map(([element, dots]) => [element, encodeDots(dots)]),
  };
  if (state.context.cloud.size > 0) wire.d = encodeDots(state.context.cloud);
  return wire;
}

/**
 * Reads a compact form back; throws a `CrdtDecodeError` on anything `encode` would not produce,
 * including an entry's dot missing from the context (a state whose join would be wrong).
 */
export function decode(data: unknown): State {
  const record = readRecord(data, ['v', 'd', 'e'], 'ORSet');
  const vector = new Map<string, number>();
  readList(record.v, 'ORSet.v').forEach((item, i) => {
    const [replica, n] = readTuple(item, `ORSet.v[${i}]`, 2);
    vector.set(readNewKey(replica, `ORSet.v[${i}][0]`, vector), readCounter(n, `ORSet.v[${i}][1]`));
  });
  const context = compact(vector, decodeDots(record.d ?? [], 'ORSet.d'));
  const entries = new Map<string, Dots>();
  readList(record.e, 'ORSet.e').forEach((item, i) => {
    const [element, dots] = readTuple(item, `ORSet.e[${i}]`, 2);
    const key = readNewKey(element, `ORSet.e[${i}][0]`, entries);
    const decoded = decodeDots(dots, `ORSet.e[${i}][1]`);
    if (decoded.size === 0) fail(`ORSet.e[${i}][1]`, 'holds no dot');
    for (const [replica, counters] of decoded) {
      for (const counter of counters) {
        if (!seen(context, replica, counter)) fail(`ORSet.e[${i}][1]`, `holds a dot outside the context`);
      }
    }
    entries.set(key, decoded);
  });
  return { context, entries };
}

const NO_DOTS: Dots = new Map();

/** The highest counter of `replica` in a context: its own dots are the ones it has issued. */
function lastCounter(context: CausalContext, replica: string): number {
  let last = context.vector.get(replica) ?? 0;
  for (const counter of context.cloud.get(replica) ?? []) last = Math.max(last, counter);
  return last;
}

function seen(context: CausalContext, replica: string, counter: number): boolean {
  return counter <= (context.vector.get(replica) ?? 0) || (context.cloud.get(replica)?.has(counter) ?? false);
}

/** Adds to `into` the dots of `mine` that `theirs` also has or that `theirContext` has not seen. */
function keepDots(into: Map<string, Set<number>>, mine: Dots, theirs: Dots, theirContext: CausalContext): void {
  for (const [replica, counters] of mine) {
    for (const counter of counters) {
      if (theirs.get(replica)?.has(counter) || !seen(theirContext, replica, counter)) addDot(into, replica, counter);
    }
  }
}

function addDots(into: Map<string, Set<number>>, dots: Dots): void {
  for (const [replica, counters] of dots) for (const counter of counters) addDot(into, replica, counter);
}

function addDot(into: Map<string, Set<number>>, replica: string, counter: number): void {
  const counters = into.get(replica);
  if (counters) counters.add(counter);
  else into.set(replica, new Set([counter]));
}

/** A context holding exactly `dots`. */
function contextOf(dots: Dots): CausalContext {
  return compact(new Map(), dots);
}

/** Moves the cloud's dots that extend the vector contiguously into it, and drops those it already covers. */
function compact(vector: ReadonlyMap<string, number>, cloud: Dots): CausalContext {
  const compactVector = new Map(vector);
  const compactCloud = new Map<string, Set<number>>();
  for (const [replica, counters] of cloud) {
    let n = compactVector.get(replica) ?? 0;
    while (counters.has(n + 1)) n++;
    if (n > 0) compactVector.set(replica, n);
    const rest = [...counters].filter((counter) => counter > n);
    if (rest.length > 0) compactCloud.set(replica, new Set(rest));
  }
  return { vector: compactVector, cloud: compactCloud };
}

function encodeDots(dots: Dots): DotsWire {
  return sortedEntries(dots).map(([replica, counters]) => [replica, ...[...counters].sort((x, y) => x - y)]);
}

function decodeDots(data: unknown, path: string): Map<string, Set<number>> {
  const dots = new Map<string, Set<number>>();
  readList(data, path).forEach((item, i) => {
    const [replica, ...counters] = readList(item, `${path}[${i}]`);
    if (counters.length === 0) fail(`${path}[${i}]`, 'holds no counter');
    const key = readNewKey(replica, `${path}[${i}][0]`, dots);
    const set = new Set(counters.map((counter, j) => readCounter(counter, `${path}[${i}][${j + 1}]`)));
    if (set.size !== counters.length) fail(`${path}[${i}]`, 'repeats a counter');
    dots.set(key, set);
  });
  return dots;
}
