// Building DOM from data. Everything a user typed goes in as text nodes, never as HTML; the only
// markup made from it is links, and only to http(s) addresses.
import { nameKey } from './env.js';

/**
 * `el('li', { class: 'x', dataset: { seq: 1 }, onclick: fn, 'aria-label': 'y' }, child, 'text')`.
 * Strings among the children become text nodes; null, undefined and false are left out.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  node.append(...children.filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"'`]+/gi;
// Punctuation that ends a sentence rather than the address ("see https://x.org.").
const TRAILING_PUNCTUATION = /[.,;:!?)\]}'"]+$/;

/** `text` as a fragment of text nodes, with http(s) addresses as links that open in a new tab. */
export function richText(text) {
  const fragment = document.createDocumentFragment();
  let done = 0;
  for (const match of text.matchAll(URL_IN_TEXT)) {
    const raw = match[0].replace(TRAILING_PUNCTUATION, '');
    const link = safeLink(raw);
    if (!link) continue;
    fragment.append(text.slice(done, match.index), link);
    done = match.index + raw.length;
  }
  fragment.append(text.slice(done));
  return fragment;
}

function safeLink(raw) {
  let url;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return el('a', { href: url.href, target: '_blank', rel: 'noopener noreferrer nofollow' }, raw);
}

const PALETTE_SIZE = 8;

function colourIndex(name) {
  let hash = 0;
  for (const char of nameKey(name)) hash = (hash * 31 + char.codePointAt(0)) >>> 0;
  return hash % PALETTE_SIZE;
}

function initials(name) {
  const words = name.trim().split(/[\s._-]+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[1]].map((w) => [...w][0]) : [...(words[0] ?? '?')].slice(0, 1);
  return letters.join('').toUpperCase();
}

/** A user's photo, or their initials on a colour of their own; `data-avatar-for` lets it be repainted. */
export function avatar(user, size = 'md') {
  const node = el('span', { class: `avatar avatar-${size}`, 'aria-hidden': 'true', dataset: { avatarFor: nameKey(user.name) } });
  paintAvatar(node, user);
  return node;
}

export function paintAvatar(node, user) {
  for (let i = 0; i < PALETTE_SIZE; i++) node.classList.remove(`avatar-c${i}`);
  if (user.avatarUrl) {
    node.replaceChildren(el('img', { src: user.avatarUrl, alt: '', loading: 'lazy', decoding: 'async' }));
  } else {
    node.replaceChildren(initials(user.name));
    node.classList.add(`avatar-c${colourIndex(user.name)}`);
  }
  node.classList.toggle('has-photo', Boolean(user.avatarUrl));
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', month: 'long', day: 'numeric' });

/** "Wednesday, December 2, 2026 at 3:35 PM": a moment in full, for titles. */
export const fullTime = (ts) => fullFormat.format(new Date(ts));

/** A `<time>` showing the clock time, with the full date on hover and for assistive technology. */
export function timeElement(ts, className) {
  const date = new Date(ts);
  return el('time', { class: className, datetime: date.toISOString(), title: fullTime(ts) }, timeFormat.format(date));
}

export const dayKey = (ts) => new Date(ts).toDateString();

/** "Today", "Yesterday" or the date. */
export function dayLabel(ts) {
  const key = dayKey(ts);
  if (key === dayKey(Date.now())) return 'Today';
  if (key === dayKey(Date.now() - 86_400_000)) return 'Yesterday';
  return dayFormat.format(new Date(ts));
}
