// What the user is told about the connection: a banner while it is lost ("Back online." for a moment
// once it returns) and "online" / "offline" under their name.

const RECONNECTED_NOTICE_MS = 2_500;

export class ConnectionBanner {
  constructor() {
    this.banner = document.getElementById('banner');
    this.status = document.getElementById('me-status');
    this.down = false;
    this.timer = undefined;
  }

  /** The connection is up: says so if it was lost before, else shows nothing. */
  showUp() {
    window.clearTimeout(this.timer);
    if (this.down) {
      this.show('Back online.', 'ok');
      this.timer = window.setTimeout(() => this.hide(), RECONNECTED_NOTICE_MS);
    } else {
      this.hide();
    }
    this.down = false;
    this.status.textContent = 'online';
  }

  /** The connection is lost; false when that was already shown (one outage can report many times). */
  showDown() {
    if (this.down) return false;
    this.down = true;
    window.clearTimeout(this.timer);
    this.show('Connection lost. Reconnecting… Messages you send now will go out when it is back.', 'warn');
    this.status.textContent = 'offline';
    return true;
  }

  show(text, tone) {
    this.banner.textContent = text;
    this.banner.dataset.tone = tone;
    this.banner.hidden = false;
  }

  hide() {
    this.banner.hidden = true;
  }
}
