// Who is in the room in view, with a quick way to message or befriend them. While the connection is lost the
// list is what was last known, and its dots say that nobody's presence is known now.
import { avatar, el } from './dom.js';
import { nameKey, sameName } from './env.js';
import { presenceLabel } from './friends.js';
import { withLatestPhoto } from './people.js';

/**
 * @param {HTMLElement} list
 * @param {{ name: string, avatarUrl: string | null }[]} members
 * @param {{ me: { name: string }, known: boolean, isFriend: (name: string) => boolean, onAddFriend: (name: string) => void, onMessage: (name: string) => void, isOnline?: (name: string) => boolean, onRemove?: (name: string) => void }} deps
 *   isOnline: for a private room's or DM's users, whether they are in it now; onRemove: the owner's way to remove a member
 */
export function renderMembers(list, members, { me, known, isFriend, onAddFriend, onMessage, isOnline = () => true, onRemove }) {
  const isMe = (member) => sameName(member.name, me.name);
  const sorted = [...members].sort((a, b) => Number(isMe(b)) - Number(isMe(a)) || a.name.localeCompare(b.name));
  list.replaceChildren(
    ...sorted.map((member) => {
      const mine = isMe(member);
      return el(
        'li',
        { class: known ? 'member' : 'member unknown', dataset: { member: nameKey(member.name) } },
        el('span', { class: 'member-photo' }, avatar(withLatestPhoto(member), 'sm'), known ? el('span', { class: `dot ${isOnline(member.name) ? 'online' : 'offline'}`, 'aria-hidden': 'true' }) : el('span', { class: 'dot unknown', role: 'img', ...presenceLabel('unknown') })),
        mine
          ? el('span', { class: 'member-name' }, member.name, el('span', { class: 'you-tag' }, 'you'))
          : el('button', { type: 'button', class: 'member-name friend-open', 'aria-label': `Message ${member.name}`, title: `Message ${member.name}`, onclick: () => onMessage(member.name) }, member.name),
        !mine &&
          !isFriend(member.name) &&
          el('button', { type: 'button', class: 'small ghost', 'aria-label': `Add ${member.name} as a friend`, onclick: () => onAddFriend(member.name) }, '+ Friend'),
        !mine &&
          onRemove &&
          el('button', { type: 'button', class: 'small ghost member-remove', 'aria-label': `Remove ${member.name} from the room`, onclick: () => onRemove(member.name) }, 'Remove'),
      );
    }),
  );
}
