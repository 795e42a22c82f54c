/**
 * Search words, one rule for both stores and for highlighting: a word is a run of letters and digits;
 * it is compared without case or diacritics ("Café" is found by "cafe"), and a query word matches any
 * word it starts ("deploy" finds "deployment"). SQLite's FTS5 `unicode61` tokenizer with
 * `remove_diacritics 2` splits and folds text the same way; MongoDB keeps these terms per message.
 */

/** Query words that count; more are refused, so one search stays a bounded query. */
export const MAX_QUERY_TERMS = 10;

const WORD = /[\p{L}\p{N}\p{M}]+/gu;

/** `word` without case or diacritics. */
function foldWord(word: string): string {
  return word.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

/** The distinct folded words of `text`, in order of first appearance. */
export function searchTerms(text: string): string[] {
  const terms = new Set<string>();
  for (const [word] of text.matchAll(WORD)) {
    const folded = foldWord(word);
    if (folded) terms.add(folded);
  }
  return [...terms];
}

/**
 * Where `terms` (folded query words) match in `text`: the [start, end) offsets (UTF-16, as JavaScript
 * indexes strings) of every word one of them starts, ascending, for the client to mark.
 */
export function highlightRanges(text: string, terms: readonly string[]): [number, number][] {
  const ranges: [number, number][] = [];
  for (const match of text.matchAll(WORD)) {
    const folded = foldWord(match[0]);
    if (terms.some((term) => folded.startsWith(term))) ranges.push([match.index, match.index + match[0].length]);
  }
  return ranges;
}
