/**
 * Follows every message of one step from its send to its arrival at each member of its room: the
 * latency of each arrival (same clock, same process), and at the end the arrivals that never came
 * (lost) and those that came twice to one member (duplicated).
 *
 * Messages are numbered in the order sent and their clientId is `<prefix><number>`, so the state is a
 * few typed arrays indexed by that number rather than an object per message: at tens of thousands of
 * arrivals a second, garbage collection in the generator would otherwise show up as latency.
 */
import { performance } from 'node:perf_hooks';

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface Tally {
  /** Arrivals of any message while the measured window was open: the delivery throughput. */
  arrivedInWindow: number;
  /** Arrivals of messages sent in the measured window (the latency samples). */
  delivered: number;
  latencyMs: LatencySummary;
  lost: number;
  duplicated: number;
  /** Arrivals of a clientId this step never sent (from an earlier step, or foreign). */
  unknown: number;
}

/** Sorted-copy percentiles: exact, and cheap enough for a few hundred thousand samples. */
function summarize(samples: Float64Array): LatencySummary {
  if (samples.length === 0) return { count: 0, p50: NaN, p90: NaN, p99: NaN, max: NaN };
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1]! };
}

/** A typed array that doubles when full. */
function grown<T extends Float64Array | Uint32Array>(array: T, needed: number, make: (length: number) => T): T {
  if (needed <= array.length) return array;
  const bigger = make(Math.max(needed, array.length * 2));
  bigger.set(array);
  return bigger;
}

export class DeliveryTracker {
  /** Send time per message; negative when sent outside the measured window (its latency is not kept). */
  private sentAt = new Float64Array(1 << 14);
  /** `words` bits per message: which member slots have it already. */
  private arrived: Uint32Array;
  private readonly words: number;
  private count = 0;
  private latencies = new Float64Array(1 << 16);
  private latencyCount = 0;
  private duplicated = 0;
  private unknown = 0;
  /** Arrivals still expected, over every message. */
  private outstanding = 0;
  private arrivedInWindow = 0;
  /** Set by the load while its measured window is open. */
  windowOpen = false;

  /** `prefix` starts every clientId of this step; no room has more than `maxMembers` members. */
  constructor(
    readonly prefix: string,
    maxMembers: number,
  ) {
    this.words = Math.ceil(maxMembers / 32);
    this.arrived = new Uint32Array(this.sentAt.length * this.words);
  }

  /** Records the next message, for a room of `members` members, and returns its clientId. */
  send(members: number, measured: boolean): string {
    const index = this.count++;
    this.sentAt = grown(this.sentAt, this.count, (n) => new Float64Array(n));
    this.arrived = grown(this.arrived, this.count * this.words, (n) => new Uint32Array(n));
    const now = performance.now();
    this.sentAt[index] = measured ? now : -now;
    this.outstanding += members;
    return `${this.prefix}${index}`;
  }

  /** `clientId` reached the member in `slot` of its room. */
  received(clientId: string, slot: number): void {
    const now = performance.now();
    const index = clientId.startsWith(this.prefix) ? Number(clientId.slice(this.prefix.length)) : NaN;
    if (!(index >= 0 && index < this.count)) {
      this.unknown += 1;
      return;
    }
    const word = index * this.words + (slot >>> 5);
    const bit = 1 << (slot & 31);
    if (this.arrived[word]! & bit) {
      this.duplicated += 1;
      return;
    }
    this.arrived[word]! |= bit;
    this.outstanding -= 1;
    if (this.windowOpen) this.arrivedInWindow += 1;
    const sentAt = this.sentAt[index]!;
    if (sentAt >= 0) this.record(now - sentAt);
  }

  /** Whether every arrival expected so far has come. */
  get complete(): boolean {
    return this.outstanding === 0;
  }

  tally(): Tally {
    return {
      arrivedInWindow: this.arrivedInWindow,
      delivered: this.latencyCount,
      latencyMs: summarize(this.latencies.subarray(0, this.latencyCount)),
      lost: this.outstanding,
      duplicated: this.duplicated,
      unknown: this.unknown,
    };
  }

  private record(ms: number): void {
    this.latencies = grown(this.latencies, this.latencyCount + 1, (n) => new Float64Array(n));
    this.latencies[this.latencyCount++] = ms;
  }
}
