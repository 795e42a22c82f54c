// The composer area: the message box, which holds the draft of the room in view and nothing else (so
// Enter sends it there), the message it replies to, the typing hints it sends, the "is typing…" line
// beneath it and the error line for sending, opening rooms and changing messages. Up arrow in an
// empty box edits this user's last message.
import { MentionSuggestions } from './mention-suggestions.js';
import { ReplyBar } from './reply.js';
import { TypingSender } from './typing.js';

export class Composer {
  /**
   * @param {{
   *   connection: { connected: boolean, request(event: string, payload: unknown): Promise<any> },
   *   drafts: import('./drafts.js').Drafts,
   *   onSend: (room: string, text: string, replyTo: string | undefined) => void,
   *   onEditLast: () => void,
   *   names: () => string[],
   * }} deps  names: the people the page knows, whom `@` suggests
   */
  constructor({ connection, drafts, onSend, onEditLast, names }) {
    this.drafts = drafts;
    /** The room in view, which the box writes to; null until the first `show`. */
    this.room = null;
    this.form = document.getElementById('composer');
    this.text = document.getElementById('text');
    this.error = document.getElementById('send-error');
    this.typingLine = document.getElementById('typing');
    this.reply = new ReplyBar();
    this.suggestions = new MentionSuggestions({ box: this.text, names, onInsert: () => this.room && drafts.set(this.room, this.text.value) });
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
      const replyTo = this.reply.message?.id;
      this.reply.cancel();
      onSend(room, text, replyTo);
    });
    this.text.addEventListener('keydown', (event) => {
      if (event.isComposing || this.suggestions.handleKey(event)) return;
      if (event.key === 'Enter' && !event.shiftKey) {
        event.preventDefault();
        this.form.requestSubmit();
      } else if (event.key === 'Escape' && this.reply.cancel()) {
        event.preventDefault();
      } else if (event.key === 'ArrowUp' && this.text.value === '' && !event.altKey && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
        // Alt+Up is the previous room (room-navigation.js), not an edit.
        event.preventDefault();
        onEditLast();
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
    this.reply.cancel();
    this.text.value = this.drafts.get(room);
    this.text.placeholder = `Message #${room}`;
    this.error.textContent = '';
    // A touch keyboard popping up on every room switch would hide the room.
    if (window.matchMedia('(pointer: fine)').matches) this.text.focus();
  }

  /** Makes the next message a reply to `message`. */
  replyTo(message) {
    this.reply.start(message);
    this.focus();
  }

  focus() {
    this.text.focus();
  }

  showError(text) {
    this.error.textContent = text;
  }

  /** `summary`: who else is typing in the room in view, '' for nobody. */
  showTyping(summary) {
    this.typingLine.textContent = summary;
  }
}
