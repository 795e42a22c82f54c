// Who is in the room in view, with a quick way to befriend them. While the connection is lost the
// list is what was last known, and its dots say that nobody's presence is known now.
import { avatar, el } from './dom.js';
import { presenceLabel } from './friends.js';
import { withLatestPhoto } from './people.js';

/**
 * @param {HTMLElement} list
 * @param {{ name: string, avatarUrl: string | null }[]} members
 * @param {{ me: { name: string }, known: boolean, isFriend: (name: string) => boolean, onAddFriend: (name: string) => void }} deps
 */
export function renderMembers(list, members, { me, known, isFriend, onAddFriend }) {
  const myKey = me.name.toLowerCase();
  const sorted = [...members].sort((a, b) => Number(b.name.toLowerCase() === myKey) - Number(a.name.toLowerCase() === myKey) || a.name.localeCompare(b.name));
  list.replaceChildren(
    ...sorted.map((member) => {
      const mine = member.name.toLowerCase() === myKey;
      return el(
        'li',
        { class: known ? 'member' : 'member unknown', dataset: { member: member.name.toLowerCase() } },
        el('span', { class: 'member-photo' }, avatar(withLatestPhoto(member), 'sm'), known ? el('span', { class: 'dot online', 'aria-hidden': 'true' }) : el('span', { class: 'dot unknown', role: 'img', ...presenceLabel('unknown') })),
        el('span', { class: 'member-name' }, member.name, mine && el('span', { class: 'you-tag' }, 'you')),
        !mine &&
          !isFriend(member.name) &&
          el('button', { type: 'button', class: 'small ghost', 'aria-label': `Add ${member.name} as a friend`, onclick: () => onAddFriend(member.name) }, '+ Friend'),
      );
    }),
  );
}
