// Browser notifications of mentions while the tab is hidden. Permission is asked only from the bell
// button (a user gesture), never on load; without 'granted' nothing is shown.

export class MentionNotifier {
  /** @param {{ onOpen: (message) => void }} deps  onOpen: the user clicked a notification */
  constructor({ onOpen }) {
    this.onOpen = onOpen;
    this.bell = document.getElementById('notify-button');
    this.supported = 'Notification' in window;
    this.bell.hidden = !this.supported;
    this.bell.addEventListener('click', async () => {
      if (Notification.permission === 'default') await Notification.requestPermission();
      this.render();
    });
    if (this.supported) this.render();
  }

  render() {
    const state = Notification.permission;
    this.bell.setAttribute('aria-pressed', String(state === 'granted'));
    this.bell.title =
      state === 'granted' ? 'Notifications of mentions are on' : state === 'denied' ? 'Notifications are blocked in this browser’s settings' : 'Notify me when someone mentions me';
    this.bell.setAttribute('aria-label', this.bell.title);
  }

  /** `message` mentions this user in `roomLabel`: shown when the tab is hidden and notifications are allowed. */
  mention(message, roomLabel) {
    if (!this.supported || Notification.permission !== 'granted' || document.visibilityState !== 'hidden') return;
    const excerpt = message.text.length > 140 ? `${message.text.slice(0, 140)}…` : message.text;
    const notification = new Notification(`${message.user.name} mentioned you in ${roomLabel}`, { body: excerpt, tag: message.id });
    notification.addEventListener('click', () => {
      window.focus();
      this.onOpen(message);
      notification.close();
    });
  }
}
