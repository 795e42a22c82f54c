// What a person does to a delivered message, from its action bar, its reactions and its quote:
// react (the picker or a chip, toggled), reply, edit inline (Enter saves, Escape cancels), delete
// (after the confirm dialog) and jump to a reply's original. One listener on all timelines answers
// every `data-action` button; a long press on a touch screen shows the bar as hovering does.
import { el } from './dom.js';
import { loadUntilLoaded } from './older-messages.js';
import { emojiPicker, reactedBy } from './reactions.js';

const LONG_PRESS_MS = 500;
/** A finger that moves further than this during the press is scrolling, not pressing. */
const PRESS_SLOP_PX = 10;

export class MessageActions {
  /**
   * @param {{
   *   me: { name: string },
   *   connection: { request(event: string, payload: unknown): Promise<any> },
   *   rooms: import('./rooms.js').Rooms,
   *   composer: import('./composer.js').Composer,
   * }} deps
   */
  constructor({ me, connection, rooms, composer }) {
    this.me = me;
    this.connection = connection;
    this.rooms = rooms;
    this.composer = composer;
    this.deleteDialog = document.getElementById('delete-dialog');
    this.deleteExcerpt = document.getElementById('delete-excerpt');
    /** The message the delete dialog asks about. */
    this.deleting = null;
    this.deleteDialog.addEventListener('close', () => {
      const target = this.deleting;
      this.deleting = null;
      if (target && this.deleteDialog.returnValue === 'delete') void this.change('message:delete', target, {}, 'delete the message');
    });

    const timelines = document.getElementById('timelines');
    timelines.addEventListener('click', (event) => this.onClick(event));
    timelines.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && event.target.closest('.emoji-picker')) {
        const item = event.target.closest('li.msg');
        this.closePicker(item);
        item.querySelector('[data-action="react"]')?.focus();
      }
    });
    this.watchLongPress(timelines);
  }

  onClick(event) {
    const button = event.target.closest('[data-action]');
    const item = event.target.closest('li.msg');
    if (!button || !item || item.classList.contains('pending')) return;
    const room = this.rooms.get(item.closest('.timeline').dataset.room);
    const message = room?.timeline.get(item.dataset.id);
    if (!message) return;
    const { action, emoji } = button.dataset;
    if (action === 'react') this.togglePicker(item);
    else if (action === 'pick-reaction' || action === 'toggle-reaction') {
      this.closePicker(item);
      void this.toggleReaction(message, emoji);
    } else if (action === 'reply') this.composer.replyTo(message);
    else if (action === 'edit') this.edit(message);
    else if (action === 'delete') this.confirmDelete(message);
    else if (action === 'show-original') void this.showOriginal(room, button.dataset.original);
  }

  /** Edits this user's newest message in the room in view (Up arrow in an empty composer). */
  editLast() {
    const message = this.rooms.active?.timeline.lastOwn();
    if (message) this.edit(message);
  }

  /** Turns `message`'s text into a box: Enter saves (message:edit), Escape cancels. */
  edit(message) {
    const timeline = this.rooms.get(message.room).timeline;
    const item = timeline.itemOf(message.id);
    const open = item.querySelector('.msg-editor textarea');
    if (open) {
      open.focus();
      return;
    }
    const box = el('textarea', { class: 'msg-editor-text', rows: '1', maxlength: '4000', 'aria-label': 'Edit message' });
    box.value = message.text;
    const close = () => {
      timeline.redraw(message.id);
      this.composer.focus();
    };
    const save = async () => {
      const text = box.value;
      const current = timeline.get(message.id);
      if (!text.trim() || current.deleted) return;
      if (text === current.text) return close();
      box.disabled = true;
      const done = await this.change('message:edit', current, { text }, 'edit the message', { before: () => timeline.redraw(message.id) });
      if (done) this.composer.focus();
      else box.disabled = false;
    };
    box.addEventListener('keydown', (event) => {
      if (event.isComposing) return;
      if (event.key === 'Enter' && !event.shiftKey) {
        event.preventDefault();
        void save();
      } else if (event.key === 'Escape') {
        event.preventDefault();
        close();
      }
    });
    const form = el(
      'form',
      { class: 'msg-editor' },
      box,
      el('p', { class: 'msg-editor-hint' }, 'Escape to ', el('button', { type: 'button', class: 'link-button', onclick: close }, 'cancel'), ' · Enter to ', el('button', { type: 'submit', class: 'link-button' }, 'save')),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void save();
    });
    item.querySelector('.msg-content').replaceWith(form);
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  }

  confirmDelete(message) {
    this.deleting = message;
    this.deleteExcerpt.textContent = message.text;
    this.deleteDialog.returnValue = '';
    this.deleteDialog.showModal();
  }

  toggleReaction(message, emoji) {
    const current = this.rooms.get(message.room).timeline.get(message.id) ?? message;
    const mine = current.reactions.some((r) => r.emoji === emoji && reactedBy(r, this.me.name));
    return this.change(mine ? 'reaction:remove' : 'reaction:add', current, { emoji }, 'react');
  }

  togglePicker(item) {
    if (this.closePicker(item)) return;
    for (const other of document.querySelectorAll('.emoji-picker')) other.remove();
    const picker = emojiPicker();
    item.append(picker);
    picker.querySelector('button').focus();
  }

  /** False when `item` had no picker open. */
  closePicker(item) {
    const picker = item.querySelector('.emoji-picker');
    picker?.remove();
    return Boolean(picker);
  }

  /** Scrolls to a reply's original, loading older history until it is there. */
  async showOriginal(room, id) {
    if (room.timeline.reveal(id)) return;
    if ((await loadUntilLoaded(room, id)) && room.timeline.reveal(id)) return;
    this.composer.showError('The original message is no longer in this room’s history.');
  }

  /**
   * Sends `event` about `message` and shows the answer's state; an error goes where send errors do.
   * `before` runs just ahead of showing it (closing the editor). True when it was done.
   */
  async change(event, message, fields, what, { before } = {}) {
    try {
      const ack = await this.connection.request(event, { room: message.room, id: message.id, ...fields });
      before?.();
      this.rooms.receive(ack.message);
      return true;
    } catch (err) {
      this.composer.showError(`Could not ${what}: ${err.message}`);
      return false;
    }
  }

  /** A long press on a message (touch) shows its action bar; a touch elsewhere hides it again. */
  watchLongPress(timelines) {
    let press;
    const cancel = () => {
      if (press) window.clearTimeout(press.timer);
      press = undefined;
    };
    timelines.addEventListener('pointerdown', (event) => {
      const item = event.target.closest('li.msg:not(.deleted):not(.pending)');
      for (const shown of timelines.querySelectorAll('.show-actions')) if (shown !== item) shown.classList.remove('show-actions');
      cancel();
      if (event.pointerType !== 'touch' || !item) return;
      press = { x: event.clientX, y: event.clientY, timer: window.setTimeout(() => item.classList.add('show-actions'), LONG_PRESS_MS) };
    });
    timelines.addEventListener('pointermove', (event) => {
      if (press && Math.hypot(event.clientX - press.x, event.clientY - press.y) > PRESS_SLOP_PX) cancel();
    });
    for (const type of ['pointerup', 'pointercancel']) timelines.addEventListener(type, cancel);
  }
}
