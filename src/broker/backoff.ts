/** How long to wait before reconnecting to a broker: the one policy every driver uses. */

const INITIAL_DELAY_MS = 100;
const MAX_DELAY_MS = 5_000;

/**
 * The delay before the `attempt`-th consecutive reconnection attempt (1 for the first): doubles from
 * 100 ms up to 5 s, spread by ±20% so replicas that lost the broker together don't all return at once.
 */
export function backoffDelay(attempt: number): number {
  const base = Math.min(MAX_DELAY_MS, INITIAL_DELAY_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(Math.min(MAX_DELAY_MS, base * (0.8 + Math.random() * 0.4)));
}
