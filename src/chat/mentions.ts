/**
 * Mentions: how a message calls someone. `@name` works for any name without a space (`@bob`,
 * `@anne-marie`, `@j.doe`); `@[name]` for any name at all, spaces included (`@[Mary Jane]`). Matching is
 * case-insensitive, and only names of existing users count, so `@everyone` or an e-mail address
 * mentions nobody. A bare mention that ends a sentence (`thanks @bob.`) means `bob` unless a user is
 * called `bob.`.
 */
import { nameKey } from '../identity/name-key.js';
import type { UserRepository } from '../store/port.js';

/** Distinct users one message may mention; further mentions are plain text. */
export const MAX_MENTIONS = 20;

const NAME_CHARS = '[\\p{L}\\p{N}_.-]';
// `@` must start a word: `x@bob` (an address) is not a mention. A bracketed name is checked as a name later.
const MENTION = new RegExp(`(?<![\\p{L}\\p{N}_.@-])@(?:\\[([^\\]\\n]{1,40})\\]|(${NAME_CHARS}{1,32}))`, 'gu');
const TRAILING_PUNCTUATION = /[.\-_]+$/u;

/** The way to write a mention of `name` that finds exactly it: what the composer inserts. */
export function mentionOf(name: string): string {
  return new RegExp(`^${NAME_CHARS}+$`, 'u').test(name) ? `@${name}` : `@[${name}]`;
}

/**
 * The names `text` may mention, in order: each entry lists what one mention may mean, most literal first
 * (`bob.`, then `bob`).
 */
export function mentionCandidates(text: string): string[][] {
  const found: string[][] = [];
  for (const match of text.matchAll(MENTION)) {
    if (match[1] !== undefined) {
      const bracketed = match[1].trim();
      if (bracketed) found.push([bracketed]);
    } else {
      const bare = match[2]!;
      const stripped = bare.replace(TRAILING_PUNCTUATION, '');
      found.push(stripped && stripped !== bare ? [bare, stripped] : [bare]);
    }
  }
  return found;
}

/** The existing users `text` mentions, as their names are stored, in order of first mention, at most {@link MAX_MENTIONS}. */
export async function resolveMentions(users: Pick<UserRepository, 'findMany'>, text: string): Promise<string[]> {
  const candidates = mentionCandidates(text);
  if (candidates.length === 0) return [];
  const known = new Map((await users.findMany([...new Set(candidates.flat())])).map((u) => [u.nameKey, u.name]));
  const mentioned = new Map<string, string>();
  for (const meanings of candidates) {
    const name = meanings.map((m) => known.get(nameKey(m))).find((n) => n !== undefined);
    if (name !== undefined && mentioned.size < MAX_MENTIONS) mentioned.set(nameKey(name), name);
  }
  return [...mentioned.values()];
}
