// Name suggestions in the composer after `@`: people the page knows (passed in as `names()`), as a
// listbox under the box; ↑/↓ choose, Enter or Tab insert `@name` (or `@[Name With Spaces]`), Escape closes.
import { el } from './dom.js';
import { nameKey } from './env.js';
import { mentionOf } from './mentions.js';

const MAX_SHOWN = 6;
// The `@word` being typed just before the caret (`@` starting a word, as the server reads mentions).
const TYPING_MENTION = /(?<![\p{L}\p{N}_.@-])@(\[[^\]\n]*|[\p{L}\p{N}_.-]*)$/u;

export class MentionSuggestions {
  /** @param {{ box: HTMLTextAreaElement, names: () => string[], onInsert: () => void }} deps */
  constructor({ box, names, onInsert }) {
    this.box = box;
    this.names = names;
    this.onInsert = onInsert;
    this.list = el('ul', { id: 'mention-suggestions', class: 'mention-suggestions', role: 'listbox', 'aria-label': 'People to mention', hidden: true });
    box.closest('form').before(this.list);
    box.setAttribute('aria-controls', 'mention-suggestions');
    box.setAttribute('aria-autocomplete', 'list');
    this.shown = [];
    this.chosen = 0;
    box.addEventListener('input', () => this.update());
    box.addEventListener('blur', () => this.close());
  }

  update() {
    const before = this.box.value.slice(0, this.box.selectionStart);
    const match = before.match(TYPING_MENTION);
    if (!match) return this.close();
    const typed = nameKey(match[1].replace(/^\[/, ''));
    this.start = before.length - match[0].length;
    this.shown = [...new Set(this.names())].filter((n) => nameKey(n).startsWith(typed)).sort((a, b) => a.localeCompare(b)).slice(0, MAX_SHOWN);
    this.chosen = 0;
    this.render();
  }

  render() {
    this.list.hidden = this.shown.length === 0;
    this.list.replaceChildren(
      ...this.shown.map((name, i) =>
        el('li', { id: `mention-option-${i}`, role: 'option', 'aria-selected': String(i === this.chosen), class: i === this.chosen ? 'chosen' : undefined, onmousedown: (event) => { event.preventDefault(); this.insert(name); } }, name),
      ),
    );
    if (this.list.hidden) this.box.removeAttribute('aria-activedescendant');
    else this.box.setAttribute('aria-activedescendant', `mention-option-${this.chosen}`);
  }

  /** Handles a key in the box while suggestions show; true when it was theirs. */
  handleKey(event) {
    if (this.list.hidden) return false;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      this.chosen = (this.chosen + (event.key === 'ArrowDown' ? 1 : this.shown.length - 1)) % this.shown.length;
      this.render();
    } else if (event.key === 'Enter' || event.key === 'Tab') {
      this.insert(this.shown[this.chosen]);
    } else if (event.key === 'Escape') {
      this.close();
    } else return false;
    event.preventDefault();
    return true;
  }

  insert(name) {
    const end = this.box.selectionStart;
    const text = `${mentionOf(name)} `;
    this.box.setRangeText(text, this.start, end, 'end');
    this.close();
    this.onInsert();
  }

  close() {
    this.shown = [];
    this.render();
  }
}
