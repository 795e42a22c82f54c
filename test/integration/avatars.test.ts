import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Browser, request, startReplica, user, type Replica } from '../helpers/harness.js';
import { GIF_1x1, HTML_AS_PNG, PNG_1x1, SVG, imageForm } from '../helpers/images.js';

describe('avatars', () => {
  let replica: Replica;
  let alice: Browser;
  beforeEach(async () => {
    replica = await startReplica();
    alice = new Browser(replica.url);
    await alice.signIn('alice');
  });
  afterEach(() => replica.stop());

  const uploads = () => fs.readdirSync(replica.config.uploadDir);

  it('stores an image under a random name and serves it with its type and nosniff', async () => {
    const res = await alice.request('POST', '/api/avatar', imageForm(PNG_1x1, '../../evil.html', 'text/html'));
    expect(res.status).toBe(200);
    expect(res.body.avatarUrl).toMatch(/^\/uploads\/[0-9a-f]{32}\.png$/);
    const served = await fetch(new URL(res.body.avatarUrl, replica.url));
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await served.arrayBuffer())).toEqual(PNG_1x1);
    expect((await alice.request('GET', '/api/me')).body.user.avatarUrl).toBe(res.body.avatarUrl);
  });

  it('removes the replaced file and shows the new avatar on messages, old ones included', async () => {
    const chat = await user(replica.url, 'bob');
    await request(chat.socket, 'room:join', { room: 'general' });
    await request(chat.socket, 'message:send', { room: 'general', text: 'before', clientId: 'b1' });
    const bob = chat.browser;
    const first = (await bob.request('POST', '/api/avatar', imageForm(PNG_1x1))).body.avatarUrl;
    const second = (await bob.request('POST', '/api/avatar', imageForm(GIF_1x1, 'a.gif', 'image/gif'))).body.avatarUrl;
    expect(second).toMatch(/\.gif$/);
    expect(uploads()).toEqual([second.split('/').pop()]);
    expect((await fetch(new URL(first, replica.url))).status).toBe(404);
    const sent = await request(chat.socket, 'message:send', { room: 'general', text: 'after', clientId: 'b2' });
    expect(sent.message.user).toEqual({ name: 'bob', avatarUrl: second });
    const history = await bob.request('GET', '/api/rooms/general/messages');
    expect(history.body.messages.map((m: { user: { avatarUrl: string } }) => m.user.avatarUrl)).toEqual([second, second]);
  });

  it.each([
    ['HTML named .png', HTML_AS_PNG, 'x.png', 'image/png'],
    ['SVG', SVG, 'x.svg', 'image/svg+xml'],
    ['plain text', Buffer.from('hello'), 'x.jpg', 'image/jpeg'],
  ])('refuses %s with 415 and leaves no file', async (_label, bytes, name, type) => {
    const res = await alice.request('POST', '/api/avatar', imageForm(bytes, name, type));
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
    expect(uploads()).toEqual([]);
  });

  it('refuses more than 2 MB with 413 and leaves no file', async () => {
    const big = Buffer.concat([PNG_1x1, Buffer.alloc(2 * 1024 * 1024)]);
    const res = await alice.request('POST', '/api/avatar', imageForm(big));
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(uploads()).toEqual([]);
  });

  it('refuses a missing or misnamed field with 400', async () => {
    expect((await alice.request('POST', '/api/avatar', new FormData())).body.error.code).toBe('invalid_input');
    expect((await alice.request('POST', '/api/avatar', imageForm(PNG_1x1, 'a.png', 'image/png', 'photo'))).body.error.code).toBe('invalid_input');
    expect(uploads()).toEqual([]);
  });

  it('requires a session', async () => {
    const res = await new Browser(replica.url).request('POST', '/api/avatar', imageForm(PNG_1x1));
    expect(res.status).toBe(401);
    expect(uploads()).toEqual([]);
  });

  it('lists online users with their avatars', async () => {
    const url = (await alice.request('POST', '/api/avatar', imageForm(PNG_1x1))).body.avatarUrl;
    const socket = await alice.connect();
    const bob = await user(replica.url, 'bob');
    const res = await alice.request('GET', '/api/users');
    expect(res.body).toEqual({ users: [{ name: 'alice', avatarUrl: url }, { name: 'bob', avatarUrl: null }] });
    socket.disconnect();
    bob.socket.disconnect();
    await expect.poll(async () => (await alice.request('GET', '/api/users')).body.users).toEqual([]);
  });
});
