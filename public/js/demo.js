// /demo: several users in one window. Each panel is an iframe under /demo/u/<n>/, which the server
// gives a session cookie of its own, so every panel signs in as a different user. The open panels
// are remembered in this browser, and each panel's session survives a reload.
import { el } from './dom.js';

const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy'];
const MAX_FRAMES = 12;
const STORAGE_KEY = 'chorus.demo.frames';

const frames = document.getElementById('frames');
const addButton = document.getElementById('add-user');
let open = load();

function load() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? 'null');
    if (Array.isArray(saved) && saved.every((n) => Number.isInteger(n) && n >= 1 && n <= 999)) return saved;
  } catch {
    // fall through to the first two users
  }
  return [1, 2];
}

function save() {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(open));
}

function nameFor(n) {
  return NAMES[n - 1] ?? `user${n}`;
}

function panel(n) {
  const url = `/demo/u/${n}/`;
  return el(
    'section',
    { class: 'frame-card', 'aria-label': `User ${n}`, dataset: { frame: n } },
    el(
      'div',
      { class: 'frame-head' },
      el('strong', {}, `User ${n}`),
      el('a', { href: url, target: '_blank', rel: 'noopener' }, 'Open in a tab'),
      el('button', { type: 'button', 'aria-label': `Close user ${n}`, onclick: () => close(n) }, '✕'),
    ),
    el('iframe', { src: `${url}?name=${encodeURIComponent(nameFor(n))}`, title: `Chorus as user ${n}` }),
  );
}

function render() {
  frames.replaceChildren(...open.map(panel));
  addButton.disabled = open.length >= MAX_FRAMES;
}

function close(n) {
  open = open.filter((m) => m !== n);
  save();
  frames.querySelector(`[data-frame="${n}"]`)?.remove();
  addButton.disabled = open.length >= MAX_FRAMES;
}

addButton.addEventListener('click', () => {
  let n = 1;
  while (open.includes(n)) n += 1;
  open.push(n);
  save();
  const card = panel(n);
  frames.append(card);
  addButton.disabled = open.length >= MAX_FRAMES;
  card.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
});

render();
