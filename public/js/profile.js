// The signed-in user's corner: their photo (click to change it), a password, signing out.
import { api } from './api.js';
import { avatar } from './dom.js';
import { learnUser } from './people.js';

/** @param {{ me: { name: string, avatarUrl: string | null }, onSignOut: () => void }} deps */
export function setUpProfile({ me, onSignOut }) {
  const $ = (id) => document.getElementById(id);
  const error = $('profile-error');
  $('me-name').textContent = me.name;
  $('avatar-button').replaceChildren(avatar(me, 'md'));

  $('avatar-button').addEventListener('click', () => $('avatar-file').click());
  $('avatar-file').addEventListener('change', async () => {
    const file = $('avatar-file').files?.[0];
    $('avatar-file').value = '';
    if (!file) return;
    error.textContent = '';
    const form = new FormData();
    form.append('avatar', file);
    try {
      const { avatarUrl } = await api('POST', '/api/avatar', form);
      me.avatarUrl = avatarUrl;
      learnUser(me);
    } catch (err) {
      error.textContent = `Photo not changed: ${err.message}`;
    }
  });

  const dialog = $('password-dialog');
  $('password-button').addEventListener('click', () => {
    $('password-error').textContent = '';
    $('new-password').value = '';
    $('password-username').value = me.name;
    dialog.showModal();
  });
  $('password-cancel').addEventListener('click', () => dialog.close());
  $('password-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('POST', '/api/password', { password: $('new-password').value });
      dialog.close();
      $('me-status').textContent = 'online · password set';
    } catch (err) {
      $('password-error').textContent = err.message;
    }
  });

  $('sign-out').addEventListener('click', async () => {
    try {
      await api('DELETE', '/api/session');
    } finally {
      onSignOut();
    }
  });
}
