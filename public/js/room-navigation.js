// The ways to another room besides its link in the room list: the join form (any valid name, which
// creates the room; ticked "private", a private room of this user's), Alt+↑ / Alt+↓ through the joined rooms, and the browser's back and forward.
import { normalizeRoom, roomFromLocation } from './env.js';

/**
 * @param {{ open: (name: string, options: { push: boolean }) => void, inView: () => string | undefined, createPrivate: (name: string) => Promise<void> }} deps
 *   open: shows the room, pushing its address to the history when `push`; inView: the room shown now;
 *   createPrivate: makes and shows a private room, rejecting with why it could not
 */
export function setUpRoomNavigation({ open, inView, createPrivate }) {
  const privately = document.getElementById('new-room-private');
  const input = document.getElementById('new-room');
  const error = document.getElementById('join-room-error');
  document.getElementById('join-room').addEventListener('submit', (event) => {
    event.preventDefault();
    error.textContent = '';
    const name = normalizeRoom(input.value.replace(/^#/, ''));
    if (!name) {
      error.textContent = 'Room names are 1-64 of a-z, 0-9, - and _.';
      return;
    }
    if (!privately.checked) {
      input.value = '';
      open(name, { push: true });
      return;
    }
    createPrivate(name).then(
      () => {
        input.value = '';
        privately.checked = false;
      },
      (err) => {
        error.textContent = err.message;
      },
    );
  });

  document.addEventListener('keydown', (event) => {
    if (!event.altKey || (event.key !== 'ArrowUp' && event.key !== 'ArrowDown')) return;
    const names = [...document.querySelectorAll('.sidebar .room-list li.joined')].map((li) => li.dataset.room);
    const here = names.indexOf(inView());
    const next = names[(here + (event.key === 'ArrowDown' ? 1 : names.length - 1)) % names.length];
    if (next) {
      event.preventDefault();
      open(next, { push: true });
    }
  });

  window.addEventListener('popstate', () => open(roomFromLocation(), { push: false }));
}
