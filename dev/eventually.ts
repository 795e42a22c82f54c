/** Waiting on a condition that other processes or sockets make true, for tests and the benchmarks alike. */

/**
 * Polls `condition` every 20 ms until it returns (or resolves to) something other than false without
 * throwing, and resolves with that; fails after `timeoutMs`.
 */
export async function eventually<T>(
  condition: () => T | false | Promise<T | false>,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
