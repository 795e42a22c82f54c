/**
 * Checksums of a collection's records, computed the same way from the embedded store's rows (as the
 * documents they become) and from the documents in MongoDB, so the two can be compared.
 *
 * Each record is serialized canonically (JSON with every object's keys sorted) and hashed with sha256;
 * the collection's checksum is the sum of those digests modulo 2^256. A sum does not depend on the
 * order the records are read in, so the two databases' orders of strings cannot matter (SQLite and
 * MongoDB sort by bytes, the test stand-in by JavaScript's UTF-16), and every record counts: a changed,
 * missing or extra one changes it.
 */
import { createHash } from 'node:crypto';

const MODULUS = 1n << 256n;

/** `value` as JSON with the keys of every object sorted, so equal documents serialize alike whatever their field order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, field]) => field !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonicalJson(field)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** How many records, and their checksum (64 hex digits). */
export interface Tally {
  count: number;
  checksum: string;
}

/** A running count and checksum of records. */
export class RecordChecksum {
  count = 0;
  #sum = 0n;

  add(record: unknown): void {
    this.count++;
    const digest = createHash('sha256').update(canonicalJson(record)).digest('hex');
    this.#sum = (this.#sum + BigInt(`0x${digest}`)) % MODULUS;
  }

  get tally(): Tally {
    return { count: this.count, checksum: this.#sum.toString(16).padStart(64, '0') };
  }
}
