import { countBrokerReconnect } from '../observability/dependency-metrics.js';

/**
 * Whether a broker connection is up and, while it is not, why: what `Broker.check()` reports. Coming
 * back up after having been up counts as a reconnect in the metrics.
 */
export class ConnectionState {
  private reason: Error | undefined;
  private wasUp = false;

  constructor(private readonly broker: string) {
    this.reason = new Error(`${broker}: not connected yet`);
  }

  get up(): boolean {
    return this.reason === undefined;
  }

  markUp(): void {
    if (this.wasUp && !this.up) countBrokerReconnect(this.broker);
    this.wasUp = true;
    this.reason = undefined;
  }

  markDown(cause: unknown): void {
    const message = cause instanceof Error ? cause.message : String(cause);
    this.reason = new Error(`${this.broker}: ${message || 'disconnected'}`, { cause });
  }

  /** Resolves while up; rejects with the reason otherwise. */
  check(): Promise<void> {
    return this.reason ? Promise.reject(this.reason) : Promise.resolve();
  }
}
