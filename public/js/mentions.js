// Mentions in a message's text: `@name` and `@[Name With Spaces]` of the users the server says the
// message mentions (message.mentions) become highlighted spans, as text nodes like all user text.
// The syntax is the server's (src/chat/mentions.ts), so the page marks exactly what was resolved.
import { el, richText } from './dom.js';
import { nameKey, sameName } from './env.js';

const NAME_CHARS = '[\\p{L}\\p{N}_.-]';
const MENTION = new RegExp(`(?<![\\p{L}\\p{N}_.@-])@(?:\\[([^\\]\\n]{1,40})\\]|(${NAME_CHARS}{1,32}))`, 'gu');
const TRAILING_PUNCTUATION = /[.\-_]+$/u;

/** Whether `message` mentions the user `me`. */
export const mentionsMe = (message, me) => (message.mentions ?? []).some((name) => sameName(name, me.name));

/** `message.text` as a fragment: its links as richText makes them, its resolved mentions as spans. */
export function messageText(message, me) {
  const known = new Set((message.mentions ?? []).map(nameKey));
  const fragment = document.createDocumentFragment();
  if (known.size === 0) {
    fragment.append(richText(message.text));
    return fragment;
  }
  const { text } = message;
  let done = 0;
  for (const match of text.matchAll(MENTION)) {
    const name = resolved(match, known);
    if (!name) continue;
    // A bare mention that ends a sentence ("thanks @bob.") marks only "@bob".
    const length = match[1] !== undefined ? match[0].length : name.length + 1;
    fragment.append(richText(text.slice(done, match.index)));
    const self = sameName(name, me.name);
    fragment.append(el('span', { class: self ? 'mention mention-me' : 'mention', title: self ? 'Mentions you' : undefined }, text.slice(match.index, match.index + length)));
    done = match.index + length;
  }
  fragment.append(richText(text.slice(done)));
  return fragment;
}

/** The mentioned name a match stands for, or undefined when it resolved to nobody. */
function resolved(match, known) {
  if (match[1] !== undefined) {
    const name = match[1].trim();
    return known.has(nameKey(name)) ? name : undefined;
  }
  const bare = match[2];
  if (known.has(nameKey(bare))) return bare;
  const stripped = bare.replace(TRAILING_PUNCTUATION, '');
  return stripped && known.has(nameKey(stripped)) ? stripped : undefined;
}

/** How to write a mention of `name` in the composer. */
export const mentionOf = (name) => (new RegExp(`^${NAME_CHARS}+$`, 'u').test(name) ? `@${name}` : `@[${name}]`);
