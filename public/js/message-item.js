// One delivered message as a list item: author and time, the quote it replies to, its text (or the
// "message deleted" tombstone), "(edited)", its reactions and the action bar shown on hover, focus
// or long-press. Buttons only carry `data-action`; message-actions.js answers them.
import { avatar, el, fullTime, timeElement } from './dom.js';
import { nameKey, sameName } from './env.js';
import { icon } from './icons.js';
import { mentionsMe, messageText } from './mentions.js';
import { withLatestPhoto } from './people.js';
import { reactionChips } from './reactions.js';

/** @param {import('./timeline.js').Message} message */
export function messageItem(message, me) {
  const user = withLatestPhoto(message.user);
  const mine = sameName(user.name, me.name);
  const classes = ['msg', mine && 'mine', message.deleted && 'deleted', !message.deleted && mentionsMe(message, me) && 'mentions-me'].filter(Boolean).join(' ');
  return el(
    'li',
    { class: classes, tabindex: '-1', dataset: { id: message.id, seq: message.seq, author: nameKey(user.name), ts: message.ts } },
    el('div', { class: 'msg-gutter' }, avatar(user), timeElement(message.ts, 'gutter-time')),
    el(
      'div',
      { class: 'msg-body' },
      el(
        'div',
        { class: 'msg-meta' },
        el('span', { class: 'msg-author' }, user.name),
        mine && el('span', { class: 'you-tag' }, 'you'),
        timeElement(message.ts, 'msg-time'),
      ),
      message.replyTo && quote(message.replyTo),
      content(message, me),
      reactionChips(message, me),
    ),
    !message.deleted && actionBar(mine),
  );
}

function content(message, me) {
  if (message.deleted) return el('div', { class: 'msg-content' }, el('span', { class: 'msg-tombstone' }, 'message deleted'));
  return el(
    'div',
    { class: 'msg-content' },
    el('span', { class: 'msg-text' }, messageText(message, me)),
    message.editedAt !== null && el('span', { class: 'msg-edited', title: `Edited ${fullTime(message.editedAt)}` }, '(edited)'),
  );
}

function quote(replyTo) {
  const user = withLatestPhoto(replyTo.user);
  return el(
    'button',
    { type: 'button', class: 'msg-quote', title: 'Show the original message', dataset: { action: 'show-original', original: replyTo.id } },
    el('span', { class: 'quote-author' }, user.name),
    replyTo.excerpt === null ? el('span', { class: 'quote-excerpt quote-deleted' }, 'message deleted') : el('span', { class: 'quote-excerpt' }, replyTo.excerpt),
  );
}

function actionBar(mine) {
  const button = (action, label) => el('button', { type: 'button', class: 'icon-button', 'aria-label': label, title: label, dataset: { action } }, icon(action));
  return el(
    'div',
    { class: 'msg-actions', role: 'toolbar', 'aria-label': 'Message actions' },
    button('react', 'Add a reaction'),
    button('reply', 'Reply'),
    mine && button('edit', 'Edit'),
    mine && button('delete', 'Delete'),
  );
}
