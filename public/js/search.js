// Searching messages (GET /api/search) from the header: results newest first, the matched words
// marked (as text nodes in <mark>, never markup), "More results" paging on from the last one, and a
// click on a result opening its room at that message.
import { api } from './api.js';
import { el, timeElement } from './dom.js';

const PAGE = 20;

/** `text` with the ranges `[[start, end], …]` marked. */
function markedText(text, ranges) {
  const fragment = document.createDocumentFragment();
  let done = 0;
  for (const [start, end] of [...ranges].sort((a, b) => a[0] - b[0])) {
    if (start < done) continue;
    fragment.append(text.slice(done, start), el('mark', {}, text.slice(start, end)));
    done = end;
  }
  fragment.append(text.slice(done));
  return fragment;
}

/**
 * @param {{ onOpen: (message) => void, roomLabel: (room: string) => string }} deps
 *   onOpen: the user chose a result; roomLabel: how to name a result's room
 */
export function setUpSearch({ onOpen, roomLabel }) {
  const $ = (id) => document.getElementById(id);
  const panel = $('search-results');
  const list = $('search-list');
  const note = $('search-note');
  const more = $('search-more');
  let query = '';
  let last = null;

  async function load() {
    note.textContent = 'Searching…';
    more.hidden = true;
    const params = new URLSearchParams({ q: query, limit: String(PAGE), ...(last && { before: last }) });
    try {
      const { results, hasMore } = await api('GET', `/api/search?${params}`);
      list.append(...results.map(resultItem));
      last = results.at(-1)?.message.id ?? last;
      more.hidden = !hasMore;
      note.textContent = list.children.length === 0 ? `Nothing matches “${query}”.` : '';
    } catch (err) {
      note.textContent = `Search failed: ${err.message}`;
    }
  }

  function resultItem({ message, highlight }) {
    return el(
      'li',
      {},
      el(
        'button',
        { type: 'button', class: 'search-result', onclick: () => { panel.hidden = true; onOpen(message); } },
        el('span', { class: 'search-meta' }, el('span', { class: 'search-room' }, roomLabel(message.room)), el('span', { class: 'msg-author' }, message.user.name), timeElement(message.ts, 'msg-time')),
        el('span', { class: 'search-text' }, markedText(message.text, highlight)),
      ),
    );
  }

  $('search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    query = $('search-text').value.trim();
    if (!query) return;
    last = null;
    list.replaceChildren();
    panel.hidden = false;
    void load();
  });
  more.addEventListener('click', () => void load());
  $('search-close').addEventListener('click', () => {
    panel.hidden = true;
    $('search-text').focus();
  });
}
