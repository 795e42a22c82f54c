/**
 * Shared pieces of the CRDTs' compact forms. The forms are built from arrays only, never from objects
 * keyed by replica ids or elements: element names come from users, and a key such as `__proto__` is
 * refused by the MessagePack decoder (and dangerous in a plain object), so every key lives in a value.
 */

/** Thrown by the `decode*` functions on data that is not a well-formed compact form. */
export class CrdtDecodeError extends Error {
  override readonly name = 'CrdtDecodeError';
}

/** Code-unit order: the same on every replica, unlike `localeCompare`, which follows the host's locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The entries of a map keyed by strings, in `compareStrings` order, so encodings are canonical. */
export function sortedEntries<V>(map: ReadonlyMap<string, V>): Array<[string, V]> {
  return [...map].sort(([a], [b]) => compareStrings(a, b));
}

/** Throws a `CrdtDecodeError` naming where in the input the problem is (e.g. `ORSet.e[2][1]`). */
export function fail(path: string, problem: string): never {
  throw new CrdtDecodeError(`malformed CRDT data: ${path} ${problem}`);
}

/** A plain object holding at most `keys`, so a typo or a foreign payload is refused rather than half-read. */
export function readRecord(value: unknown, keys: readonly string[], path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'is not an object');
  for (const key of Object.keys(value)) if (!keys.includes(key)) fail(path, `has unexpected key ${JSON.stringify(key)}`);
  return value as Record<string, unknown>;
}

/** An array of any length: a list of entries. */
export function readList(value: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(value)) fail(path, 'is not an array');
  return value;
}

/** An array of exactly `length` items: one entry. */
export function readTuple(value: unknown, path: string, length: number): readonly unknown[] {
  const items = readList(value, path);
  if (items.length !== length) fail(path, `does not hold ${length} items`);
  return items;
}

/** A string, such as a replica id or an element. */
function readString(value: unknown, path: string): string {
  if (typeof value !== 'string') fail(path, 'is not a string');
  return value;
}

/** Counters start at 1, so 0 is as malformed as a fraction or a number past 2^53. */
export function readCounter(value: unknown, path: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1) fail(path, 'is not a positive safe integer');
  return value as number;
}

/** A string not yet in `taken` (the map being filled): a canonical encoding never repeats a replica or an element. */
export function readNewKey(value: unknown, path: string, taken: { has(key: string): boolean }): string {
  const key = readString(value, path);
  if (taken.has(key)) fail(path, `repeats ${JSON.stringify(key)}`);
  return key;
}
