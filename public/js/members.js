// Who is in the room in view, with a quick way to befriend them. While the connection is lost the
// list is what was last known, and its dots say that nobody's presence is known now.
import { avatar, el } from './dom.js';
import { nameKey, sameName } from './env.js';
import { presenceLabel } from './friends.js';
import { withLatestPhoto } from './people.js';

/**
 * @param {HTMLElement} list
 * @param {{ name: string, avatarUrl: string | null }[]} members
 * @param {{ me: { name: string }, known: boolean, isFriend: (name: string) => boolean, onAddFriend: (name: string) => void }} deps
 */
export function renderMembers(list, members, { me, known, isFriend, onAddFriend }) {
  const isMe = (member) => sameName(member.name, me.name);
  const sorted = [...members].sort((a, b) => Number(isMe(b)) - Number(isMe(a)) || a.name.localeCompare(b.name));
  list.replaceChildren(
    ...sorted.map((member) => {
      const mine = isMe(member);
      return el(
        'li',
        { class: known ? 'member' : 'member unknown', dataset: { member: nameKey(member.name) } },
        el('span', { class: 'member-photo' }, avatar(withLatestPhoto(member), 'sm'), known ? el('span', { class: 'dot online', 'aria-hidden': 'true' }) : el('span', { class: 'dot unknown', role: 'img', ...presenceLabel('unknown') })),
        el('span', { class: 'member-name' }, member.name, mine && el('span', { class: 'you-tag' }, 'you')),
        !mine &&
          !isFriend(member.name) &&
          el('button', { type: 'button', class: 'small ghost', 'aria-label': `Add ${member.name} as a friend`, onclick: () => onAddFriend(member.name) }, '+ Friend'),
      );
    }),
  );
}
