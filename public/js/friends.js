// The friends panel: add and remove friends by name, a click on one opens the direct conversation
// with them, and a live dot for each one, green when online and grey when not, that flashes when it changes. While the connection is lost nobody's status is
// known: the dots show that (a hollow ring) until the server sends the list again.
import { el } from './dom.js';
import { nameKey } from './env.js';

export class FriendsPanel {
  /**
   * @param {{ connection, onChange: () => void, onOpen: (name: string) => void }} deps
   *   onChange: the set of friends or their presence changed; onOpen: the user clicked friend `name`
   */
  constructor({ connection, onChange, onOpen }) {
    this.connection = connection;
    this.onOpen = onOpen;
    this.onChange = onChange;
    this.friends = new Map(); // lower-cased name -> { name, online }
    /** Whether the statuses are fresh from the server (false from a lost connection to the next list). */
    this.known = true;
    this.list = document.getElementById('friend-list');
    this.empty = document.getElementById('friends-empty');
    this.error = document.getElementById('friend-error');
    const form = document.getElementById('add-friend');
    const input = document.getElementById('friend-name');
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const name = input.value.trim();
      if (!name) return;
      if (await this.add(name)) input.value = '';
    });
    connection.socket.on('friends', ({ friends }) => this.replace(friends));
    connection.socket.on('presence', (change) => this.presence(change));
  }

  isFriend(name) {
    return this.friends.has(nameKey(name));
  }

  /** A friend's presence: 'online', 'offline', or 'unknown' (not a friend, or the connection is lost). */
  presenceOf(name) {
    const friend = this.friends.get(nameKey(name));
    if (!friend || !this.known) return 'unknown';
    return friend.online ? 'online' : 'offline';
  }

  async refresh() {
    try {
      const { friends } = await this.connection.request('friends:list', {});
      this.replace(friends);
    } catch (err) {
      this.showError(err);
    }
  }

  /** Resolves with whether `name` is now a friend. */
  async add(name) {
    return this.change('friends:add', name);
  }

  async remove(name) {
    return this.change('friends:remove', name);
  }

  async change(event, name) {
    this.error.textContent = '';
    try {
      const ack = await this.connection.request(event, { name });
      if (Array.isArray(ack.friends)) this.replace(ack.friends);
      else await this.refresh();
      return true;
    } catch (err) {
      this.showError(err);
      return false;
    }
  }

  /** The connection is lost: statuses are stale until the next list arrives. */
  markUnknown() {
    this.known = false;
    this.render();
  }

  replace(friends) {
    this.known = true;
    const previous = this.friends;
    this.friends = new Map(friends.map((f) => [nameKey(f.name), { name: f.name, online: Boolean(f.online) }]));
    const flashing = [...this.friends.keys()].filter((key) => previous.has(key) && previous.get(key).online !== this.friends.get(key).online);
    this.render(flashing);
    this.onChange();
  }

  presence({ name, online }) {
    const friend = this.friends.get(nameKey(name));
    if (!friend || friend.online === online) return;
    friend.online = online;
    this.render([nameKey(name)]);
    this.onChange();
  }

  render(flashing = []) {
    const sorted = [...this.friends.entries()].sort(([, a], [, b]) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name));
    this.list.replaceChildren(
      ...sorted.map(([key, friend]) => {
        const state = !this.known ? 'unknown' : friend.online ? 'online' : 'offline';
        const dot = el('span', { class: `dot ${state}`, role: 'img', ...presenceLabel(state) });
        if (flashing.includes(key)) {
          dot.classList.add('flash');
          dot.addEventListener('animationend', () => dot.classList.remove('flash'), { once: true });
        }
        return el(
          'li',
          { class: `friend ${state}`, dataset: { friend: key, online: String(friend.online) } },
          dot,
          el('button', { type: 'button', class: 'friend-open', 'aria-label': `Message ${friend.name}`, title: `Message ${friend.name}`, onclick: () => this.onOpen(friend.name) }, el('span', { class: 'friend-name' }, friend.name)),
          el('button', { type: 'button', class: 'icon-button remove', 'aria-label': `Remove ${friend.name} from friends`, title: 'Remove friend', onclick: () => this.remove(friend.name) }, '✕'),
        );
      }),
    );
    this.empty.hidden = this.friends.size > 0;
  }

  showError(err) {
    this.error.textContent = err.code === 'invalid_input' && /Unknown event/.test(err.message) ? 'Friends are not available on this server yet.' : err.message;
  }
}

/** What a presence dot says to assistive technology, and on hover when the status is not known. */
export function presenceLabel(state) {
  return state === 'unknown' ? { 'aria-label': 'status unknown', title: 'Not known while the connection is lost' } : { 'aria-label': state };
}
