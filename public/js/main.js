// Entry point: the chat for a signed-in user, else the sign-in screen.
import { api } from './api.js';
import { startChat } from './chat.js';
import { showSignIn } from './sign-in.js';

// Leaving the chat resets everything by loading the page afresh.
const begin = (user) => startChat(user, { onSignedOut: () => location.reload() });

api('GET', '/api/me').then(
  ({ user }) => begin(user),
  () => showSignIn(begin),
);
