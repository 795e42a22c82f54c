/**
 * Avatars through HTTP, on each uploads driver: the shared volume (UPLOAD_STORE=volume, the default)
 * and GridFS in the MongoDB store (UPLOAD_STORE=mongodb; the wire stand-in, or MONGO_URL).
 */
import fs from 'node:fs';
import http from 'node:http';
import { MongoClient } from 'mongodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Browser, request, startReplica, tempDir, user, type Replica } from '../../dev/harness.js';
import { GIF_1x1, HTML_AS_PNG, PNG_1x1, SVG, imageForm } from '../helpers/images.js';
import { startTestMongo, type TestMongo } from '../../dev/mongo.js';

let mongo: TestMongo;
beforeAll(async () => {
  mongo = await startTestMongo();
});
afterAll(() => mongo.close());

/** An uploads driver: the environment for replicas sharing one storage, and the names stored there. */
interface UploadsSetup {
  name: string;
  /** Environment under which every replica sees the same uploads. */
  env(): Record<string, string>;
  /** The names of the files stored for `replica`. */
  stored(replica: Replica): Promise<string[]>;
}

const SETUPS: UploadsSetup[] = [
  {
    name: 'the shared volume',
    env: () => ({ UPLOAD_DIR: tempDir('chorus-uploads-') }),
    stored: async ({ config }) => (config.uploads.kind === 'volume' ? fs.readdirSync(config.uploads.dir) : []),
  },
  {
    name: 'MongoDB GridFS',
    env: () => ({ UPLOAD_STORE: 'mongodb', MONGO_URL: mongo.databaseUrl() }),
    async stored({ config }) {
      const client = new MongoClient(config.uploads.kind === 'mongodb' ? config.uploads.url : '');
      try {
        return (await client.db().collection<{ filename: string }>('avatars.files').find().toArray()).map((file) => file.filename);
      } finally {
        await client.close();
      }
    },
  },
];

describe.each(SETUPS)('avatars on $name', (setup) => {
  let env: Record<string, string>;
  let replica: Replica;
  let alice: Browser;
  const extra: Replica[] = [];
  beforeEach(async () => {
    env = setup.env();
    replica = await startReplica({ env });
    alice = new Browser(replica.url);
    await alice.signIn('alice');
  });
  afterEach(async () => {
    await Promise.all([replica, ...extra.splice(0)].map((r) => r.stop()));
  });

  const uploads = () => setup.stored(replica);

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

  it('caches an avatar for a year, and answers a revalidation or a HEAD without the bytes', async () => {
    const { avatarUrl } = (await alice.request('POST', '/api/avatar', imageForm(GIF_1x1, 'a.gif', 'image/gif'))).body;
    const served = await fetch(new URL(avatarUrl, replica.url));
    expect(served.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(served.headers.get('content-length')).toBe(String(GIF_1x1.length));
    const etag = served.headers.get('etag')!;
    expect(etag).toBeTruthy();
    await served.arrayBuffer();

    // Not fetch: a conditional fetch() adds "Cache-Control: no-cache", which forbids a 304.
    const revalidated = await new Promise<number | undefined>((resolve, reject) =>
      http.get(new URL(avatarUrl, replica.url), { headers: { 'if-none-match': etag } }, (res) => resolve(res.resume().statusCode)).on('error', reject),
    );
    expect(revalidated).toBe(304);
    const head = await fetch(new URL(avatarUrl, replica.url), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('image/gif');
    expect(head.headers.get('content-length')).toBe(String(GIF_1x1.length));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it('serves an avatar uploaded through one replica from every other', async () => {
    const other = await startReplica({ env });
    extra.push(other);
    const { avatarUrl } = (await alice.request('POST', '/api/avatar', imageForm(PNG_1x1))).body;
    const served = await fetch(new URL(avatarUrl, other.url));
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await served.arrayBuffer())).toEqual(PNG_1x1);
  });

  it('answers 404 for a file it does not have, or a path out of the uploads', async () => {
    for (const path of [`/uploads/${'0'.repeat(32)}.png`, '/uploads/..%2Fpackage.json', '/uploads/%2e%2e/package.json', '/uploads/.hidden.tmp']) {
      const res = await fetch(new URL(path, replica.url));
      expect(res.status, path).toBe(404);
      await res.arrayBuffer();
    }
  });

  it('removes the replaced file and shows the new avatar on messages, old ones included', async () => {
    const chat = await user(replica.url, 'bob');
    await request(chat.socket, 'room:join', { room: 'general' });
    await request(chat.socket, 'message:send', { room: 'general', text: 'before', clientId: 'b1' });
    const bob = chat.browser;
    const first = (await bob.request('POST', '/api/avatar', imageForm(PNG_1x1))).body.avatarUrl;
    const second = (await bob.request('POST', '/api/avatar', imageForm(GIF_1x1, 'a.gif', 'image/gif'))).body.avatarUrl;
    expect(second).toMatch(/\.gif$/);
    expect(await uploads()).toEqual([second.split('/').pop()]);
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
    expect(await uploads()).toEqual([]);
  });

  it('refuses more than 2 MB with 413 and leaves no file', async () => {
    const big = Buffer.concat([PNG_1x1, Buffer.alloc(2 * 1024 * 1024)]);
    const res = await alice.request('POST', '/api/avatar', imageForm(big));
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(await uploads()).toEqual([]);
  });

  it('refuses a missing or misnamed field with 400', async () => {
    expect((await alice.request('POST', '/api/avatar', new FormData())).body.error.code).toBe('invalid_input');
    expect((await alice.request('POST', '/api/avatar', imageForm(PNG_1x1, 'a.png', 'image/png', 'photo'))).body.error.code).toBe('invalid_input');
    expect(await uploads()).toEqual([]);
  });

  it('requires a session', async () => {
    const res = await new Browser(replica.url).request('POST', '/api/avatar', imageForm(PNG_1x1));
    expect(res.status).toBe(401);
    expect(await uploads()).toEqual([]);
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
