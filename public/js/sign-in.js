// The sign-in screen: a name, optionally a password; the server's refusal is shown beside the form.
import { api } from './api.js';

/** Shows the form and calls `onSignedIn(user)` once the server accepts. */
export function showSignIn(onSignedIn) {
  const $ = (id) => document.getElementById(id);
  const form = $('sign-in');
  const error = $('sign-in-error');
  const suggested = new URLSearchParams(location.search).get('name');
  if (suggested && !$('name').value) $('name').value = suggested.slice(0, 32);
  $('app').hidden = true;
  $('sign-in-screen').hidden = false;
  $('name').focus();

  form.onsubmit = async (event) => {
    event.preventDefault();
    error.textContent = '';
    const name = $('name').value.trim();
    const password = $('password').value;
    if (!name) {
      error.textContent = 'Type the name you want to use.';
      $('name').focus();
      return;
    }
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      const { user } = await api('POST', '/api/session', password ? { name, password } : { name });
      $('password').value = '';
      $('sign-in-screen').hidden = true;
      onSignedIn(user);
    } catch (err) {
      error.textContent = err.message;
      (err.code === 'bad_password' ? $('password') : $('name')).focus();
    } finally {
      button.disabled = false;
    }
  };
}
