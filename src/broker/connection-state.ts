import type { Logger } from 'pino';
import { countBrokerReconnect } from '../observability/dependency-metrics.js';

/**
 * Whether a broker connection is up and, while it is not, why: what `Broker.check()` reports. Every
 * driver keeps one, so they all log alike: a warning once per outage (retries come every few seconds,
 * and check() has the latest reason), a line when connected, and a reconnect in the metrics when
 * coming back up after having been up.
 */
export class ConnectionState {
  private reason: Error | undefined;
  private wasUp = false;
  private outageReported = false;
  private closed = false;

  constructor(
    private readonly broker: string,
    private readonly log: Logger,
  ) {
    this.reason = new Error(`${broker}: not connected yet`);
  }

  get up(): boolean {
    return this.reason === undefined;
  }

  /** Connected (again); `details` go into the log line. Ignored once closed. */
  markUp(details: Record<string, unknown> = {}): void {
    if (this.closed) return;
    if (this.wasUp && !this.up) countBrokerReconnect(this.broker);
    this.wasUp = true;
    this.reason = undefined;
    this.outageReported = false;
    this.log.info(details, `${this.broker} connected`);
  }

  /** Disconnected, or a connection attempt failed, because of `cause`. Ignored once closed. */
  markDown(cause: unknown): void {
    if (this.closed) return;
    const message = cause instanceof Error ? cause.message : String(cause);
    this.reason = new Error(`${this.broker}: ${message || 'disconnected'}`, { cause });
    if (!this.outageReported) this.log.warn({ err: cause }, `${this.broker} unavailable; reconnecting`);
    this.outageReported = true;
  }

  /** Closed on purpose: down for good, and nothing more to log. */
  markClosed(): void {
    this.reason = new Error(`${this.broker}: closed`);
    this.closed = true;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Resolves while up; rejects with the reason otherwise. */
  check(): Promise<void> {
    return this.reason ? Promise.reject(this.reason) : Promise.resolve();
  }
}
