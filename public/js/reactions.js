// Reactions under a message: one chip per emoji ("👍 3", who reacted in its title, this user's own
// highlighted, a click toggles it), and the small picker of common emoji the action bar opens.
import { el } from './dom.js';
import { sameName } from './env.js';

const COMMON_EMOJI = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀'];

/** Whether `name` is among those who reacted with `reaction`. */
export const reactedBy = (reaction, name) => reaction.users.some((user) => sameName(user, name));

/** The chips row for `message` (null when it has no reactions); each chip carries `data-emoji`. */
export function reactionChips(message, me) {
  if (message.reactions.length === 0) return null;
  return el(
    'div',
    { class: 'reactions' },
    ...message.reactions.map((reaction) => {
      const mine = reactedBy(reaction, me.name);
      return el(
        'button',
        {
          type: 'button',
          class: mine ? 'reaction mine' : 'reaction',
          'aria-pressed': String(mine),
          title: reaction.users.join(', '),
          'aria-label': `${reaction.emoji} ${reaction.users.length}: ${reaction.users.join(', ')}`,
          dataset: { action: 'toggle-reaction', emoji: reaction.emoji },
        },
        el('span', { class: 'reaction-emoji' }, reaction.emoji),
        el('span', { class: 'reaction-count' }, String(reaction.users.length)),
      );
    }),
  );
}

/** The picker: a row of emoji buttons, each `data-action="pick-reaction"`. */
export function emojiPicker() {
  return el(
    'div',
    { class: 'emoji-picker', role: 'group', 'aria-label': 'Pick a reaction' },
    ...COMMON_EMOJI.map((emoji) =>
      el('button', { type: 'button', class: 'emoji-choice', 'aria-label': `React with ${emoji}`, dataset: { action: 'pick-reaction', emoji } }, emoji),
    ),
  );
}
