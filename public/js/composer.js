// The composer area: the message box, which holds the draft of the room in view and nothing else (so
// Enter sends it there), the typing hints it sends, the "is typing…" line beneath it and the error
// line for sending and opening rooms.
import { TypingSender } from './typing.js';

export class Composer {
  /**
   * @param {{
   *   connection: { connected: boolean, request(event: string, payload: unknown): Promise<any> },
   *   drafts: import('./drafts.js').Drafts,
   *   onSend: (room: string, text: string) => void,
   * }} deps
   */
  constructor({ connection, drafts, onSend }) {
    this.drafts = drafts;
    /** The room in view, which the box writes to; null until the first `show`. */
    this.room = null;
    this.form = document.getElementById('composer');
    this.text = document.getElementById('text');
    this.error = document.getElementById('send-error');
    this.typingLine = document.getElementById('typing');
    this.typingSender = new TypingSender((room, typing) => {
      connection.request('typing', { room, typing }).catch(() => {
        // Typing hints are best effort: a lost one expires at the receivers.
      });
    });

    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      const { room } = this;
      const text = this.text.value;
      if (!text.trim() || !room) return;
      this.error.textContent = '';
      this.typingSender.stop();
      this.text.value = '';
      drafts.set(room, '');
      onSend(room, text);
    });
    this.text.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.form.requestSubmit();
      }
    });
    this.text.addEventListener('input', () => {
      if (!this.room) return;
      drafts.set(this.room, this.text.value);
      if (connection.connected) this.typingSender.input(this.room, this.text.value.trim() !== '');
    });
    this.text.addEventListener('blur', () => this.typingSender.stop());
  }

  /** Switches the box to `room`'s draft (this user stops typing in the room before). */
  show(room) {
    this.typingSender.stop();
    this.room = room;
    this.text.value = this.drafts.get(room);
    this.text.placeholder = `Message #${room}`;
    this.error.textContent = '';
    // A touch keyboard popping up on every room switch would hide the room.
    if (window.matchMedia('(pointer: fine)').matches) this.text.focus();
  }

  showError(text) {
    this.error.textContent = text;
  }

  /** `summary`: who else is typing in the room in view, '' for nobody. */
  showTyping(summary) {
    this.typingLine.textContent = summary;
  }
}
