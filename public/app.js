// The minimal Chorus page: sign in, join a room, read and send messages. Text is always rendered as
// text (textContent), never as HTML. Messages are kept by seq, so repeats are dropped and a
// reconnect asks only for what was missed (sinceSeq).
const $ = (id) => document.getElementById(id);
const room = decodeURIComponent(location.pathname.match(/^\/r\/([^/]+)/)?.[1] ?? 'general');
const seen = new Map(); // seq -> message
let lastSeq = 0;
let socket;

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = res.status === 204 ? {} : await res.json();
  if (!res.ok) throw Object.assign(new Error(data.error?.message ?? res.statusText), { code: data.error?.code });
  return data;
}

function render(message) {
  if (seen.has(message.seq)) return;
  seen.set(message.seq, message);
  lastSeq = Math.max(lastSeq, message.seq);
  const li = document.createElement('li');
  li.dataset.seq = String(message.seq);
  const meta = document.createElement('span');
  meta.className = 'meta';
  meta.textContent = new Date(message.ts).toLocaleTimeString();
  const author = document.createElement('span');
  author.className = 'author';
  author.textContent = message.user.name;
  const text = document.createElement('span');
  text.textContent = message.text;
  li.append(meta, author, text);
  // Keep seq order even when a recovered message arrives after a newer live one.
  const next = [...$('messages').children].find((el) => Number(el.dataset.seq) > message.seq);
  $('messages').insertBefore(li, next ?? null);
  $('messages').scrollTop = $('messages').scrollHeight;
}

function connect(user) {
  $('whoami').textContent = `Signed in as ${user.name}`;
  $('sign-in').hidden = true;
  $('chat').hidden = false;
  $('room-title').textContent = `#${room}`;
  $('text').placeholder = `Message #${room}`;
  socket = io({ transports: ['websocket', 'polling'] });
  socket.on('connect', () => {
    $('status').textContent = 'connected';
    socket.emit('room:join', { room, ...(lastSeq ? { sinceSeq: lastSeq } : {}) }, (ack) => {
      if (ack.ok) ack.history.forEach(render);
      else $('send-error').textContent = ack.error.message;
    });
  });
  socket.on('disconnect', () => ($('status').textContent = 'reconnecting…'));
  socket.on('connect_error', (err) => {
    $('status').textContent = err.message === 'unauthorized' ? 'signed out' : 'reconnecting…';
  });
  socket.on('message', render);
}

$('sign-in').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('sign-in-error').textContent = '';
  const password = $('password').value;
  try {
    const { user } = await api('POST', '/api/session', { name: $('name').value, ...(password ? { password } : {}) });
    connect(user);
  } catch (err) {
    $('sign-in-error').textContent = err.message;
  }
});

$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = $('text').value;
  if (!text.trim()) return;
  $('send-error').textContent = '';
  socket.emit('message:send', { room, text, clientId: crypto.randomUUID() }, (ack) => {
    if (ack.ok) {
      render(ack.message);
      $('text').value = '';
    } else {
      $('send-error').textContent = ack.error.message;
    }
  });
});

$('text').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    $('composer').requestSubmit();
  }
});

api('GET', '/api/me').then(({ user }) => connect(user), () => ($('sign-in').hidden = false));
