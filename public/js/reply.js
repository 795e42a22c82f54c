// The message being answered: "Replying to NAME: excerpt ✕" above the composer, until the reply is
// sent or cancelled (✕, Escape, or another room).
import { el } from './dom.js';

const EXCERPT_CHARS = 80;

export class ReplyBar {
  constructor() {
    this.element = document.getElementById('reply-bar');
    this.label = document.getElementById('reply-label');
    document.getElementById('reply-cancel').addEventListener('click', () => this.cancel());
    /** The message answered, or null. */
    this.message = null;
  }

  start(message) {
    this.message = message;
    const folded = message.text.replace(/\s+/g, ' ').trim();
    const excerpt = folded.length > EXCERPT_CHARS ? `${folded.slice(0, EXCERPT_CHARS)}…` : folded;
    this.label.replaceChildren('Replying to ', el('strong', {}, message.user.name), `: ${excerpt}`);
    this.element.hidden = false;
  }

  /** False when there was no reply to cancel. */
  cancel() {
    if (!this.message) return false;
    this.message = null;
    this.element.hidden = true;
    return true;
  }
}
