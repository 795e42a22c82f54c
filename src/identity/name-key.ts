/**
 * The one rule for when two names are the same person's: names are unique case-insensitively, so
 * "Alice" and "alice" are one user (the store's `nameKey`, presence, rate limits, socket rooms).
 */

/** The key under which a name is unique: two names with the same key are the same user. */
export const nameKey = (name: string): string => name.toLowerCase();

/** True when `a` and `b` name the same user. */
export const sameName = (a: string, b: string): boolean => nameKey(a) === nameKey(b);
