/**
 * Everything a client can get wrong is answered with a contract error code, stores nothing, and
 * leaves the replica serving.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Socket } from 'socket.io-client';
import { CLIENT_EVENTS, RATE_LIMITS } from '../../src/realtime/protocol.js';
import { Browser, request, startReplica, user, type Replica } from '../../dev/harness.js';

const pollution = (json: string) => JSON.parse(json) as Record<string, unknown>;

describe('bad input', () => {
  let replica: Replica;
  let alice: { browser: Browser; socket: Socket };

  beforeAll(async () => {
    replica = await startReplica();
    alice = await user(replica.url, 'alice');
    await request(alice.socket, 'room:join', { room: 'general' });
  });
  afterAll(() => replica.stop());

  const storedInGeneral = async () => (await replica.store.messages.before('general', undefined, 100)).messages.length;

  describe('HTTP', () => {
    it.each([
      ['malformed JSON', { raw: '{"name": "bob"' }],
      ['a JSON array', { raw: '["bob"]' }],
      ['an operator object as name', { raw: '{"name": {"$gt": ""}}' }],
      ['an empty name', { raw: '{"name": "   "}' }],
      ['a 33-character name', { raw: JSON.stringify({ name: 'x'.repeat(33) }) }],
      ['markup in the name', { raw: '{"name": "<img src=x>"}' }],
      ['a __proto__ key', { raw: '{"name": "bob", "__proto__": {"admin": true}}' }],
      ['a constructor key', { raw: '{"name": "bob", "constructor": {"prototype": {"admin": true}}}' }],
      ['a number as password', { raw: '{"name": "bob", "password": 12345678}' }],
    ])('refuses %s at sign-in with 400 invalid_input', async (_label, init) => {
      const res = await new Browser(replica.url).request('POST', '/api/session', undefined, init);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: { code: 'invalid_input', message: expect.any(String) } });
      expect(await replica.store.users.find('bob')).toBeNull();
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
    });

    it('refuses an oversized body with 413', async () => {
      const res = await new Browser(replica.url).request('POST', '/api/session', undefined, { raw: JSON.stringify({ name: 'bob', pad: 'x'.repeat(20_000) }) });
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('payload_too_large');
    });

    it.each([
      ['limit=0'],
      ['limit=101'],
      ['limit=ten'],
      ['before=0'],
      ['before=-5'],
      ['before[$gt]=1'],
      ['extra=1'],
    ])('refuses history query %s with 400', async (query) => {
      const res = await alice.browser.request('GET', `/api/rooms/general/messages?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_input');
    });

    it.each([['Bad%20Room'], ['..%2F..%2Fetc'], ['a'.repeat(65)]])('refuses room name %s with 400', async (room) => {
      const res = await alice.browser.request('GET', `/api/rooms/${room}/messages`);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_input');
    });

    it('answers unknown API routes with 404 not_found', async () => {
      const res = await alice.browser.request('GET', '/api/nothing-here');
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    });
  });

  describe('socket events', () => {
    it.each<[string, string, unknown]>([
      ['no payload', 'room:join', undefined],
      ['null', 'room:join', null],
      ['a string', 'room:join', 'general'],
      ['a number as room', 'room:join', { room: 5 }],
      ['an empty room', 'room:join', { room: '' }],
      ['a 65-character room', 'room:join', { room: 'a'.repeat(65) }],
      ['spaces in the room', 'room:join', { room: 'bad room' }],
      ['an operator object as room', 'room:join', { room: { $gt: '' } }],
      ['a negative sinceSeq', 'room:join', { room: 'general', sinceSeq: -1 }],
      ['a string sinceSeq', 'room:join', { room: 'general', sinceSeq: '5' }],
      ['an unknown key', 'room:join', { room: 'general', admin: true }],
      ['a __proto__ key', 'room:join', pollution('{"room": "general", "__proto__": {"polluted": true}}')],
      ['a bad leave', 'room:leave', { room: ['general'] }],
      ['a non-boolean typing', 'typing', { room: 'general', typing: 'yes' }],
    ])('answers %s with invalid_input', async (_label, event, payload) => {
      const ack = await request(alice.socket, event, payload);
      expect(ack).toEqual({ ok: false, error: { code: 'invalid_input', message: expect.any(String) } });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    // Every event of the protocol table has a handler: one without would leave this ack unanswered.
    it.each(CLIENT_EVENTS)('answers %s with an unexpected key with invalid_input', async (event) => {
      const ack = await request(alice.socket, event, { unexpected: true });
      expect(ack).toEqual({ ok: false, error: { code: 'invalid_input', message: expect.any(String) } });
    });

    it.each<[string, unknown]>([
      ['empty text', { room: 'general', text: '', clientId: 'e1' }],
      ['whitespace-only text', { room: 'general', text: ' \n\t ', clientId: 'e2' }],
      ['4001 characters', { room: 'general', text: 'x'.repeat(4001), clientId: 'e3' }],
      ['a number as text', { room: 'general', text: 42, clientId: 'e4' }],
      ['an operator object as text', { room: 'general', text: { $ne: null }, clientId: 'e5' }],
      ['no clientId', { room: 'general', text: 'hi' }],
      ['a bad clientId', { room: 'general', text: 'hi', clientId: '../../x' }],
      ['a 65-character clientId', { room: 'general', text: 'hi', clientId: 'c'.repeat(65) }],
      ['binary text', { room: 'general', text: Buffer.from('hi'), clientId: 'e6' }],
      ['a __proto__ key', pollution('{"room": "general", "text": "hi", "clientId": "e7", "__proto__": {"polluted": true}}')],
    ])('refuses a message with %s and stores nothing', async (_label, payload) => {
      const before = await storedInGeneral();
      const ack = await request(alice.socket, 'message:send', payload);
      expect(ack).toEqual({ ok: false, error: { code: 'invalid_input', message: expect.any(String) } });
      expect(await storedInGeneral()).toBe(before);
    });

    it('accepts exactly 4000 characters', async () => {
      const ack = await request(alice.socket, 'message:send', { room: 'general', text: 'y'.repeat(4000), clientId: 'max' });
      expect(ack.ok).toBe(true);
    });

    it('survives events sent without an ack callback, and keeps serving', async () => {
      alice.socket.emit('message:send', { room: 'general', text: 5 });
      alice.socket.emit('message:send');
      alice.socket.emit('room:join', { room: { $gt: '' } });
      alice.socket.emit('message:send', { room: 'general', text: 'no ack wanted', clientId: 'fire-and-forget' });
      await expect.poll(async () => (await replica.store.messages.since('general', 0, 100)).messages.some((m) => m.clientId === 'fire-and-forget')).toBe(true);
      const ack = await request(alice.socket, 'message:send', { room: 'general', text: 'still here', clientId: 'alive' });
      expect(ack.ok).toBe(true);
    });

    it('answers an unknown event that asks for an ack', async () => {
      const ack = await request(alice.socket, 'admin:drop-database', {});
      expect(ack).toEqual({ ok: false, error: { code: 'invalid_input', message: 'Unknown event "admin:drop-database".' } });
    });

    it('answers a flood with rate_limited, storing only what the limit allows', async () => {
      const flooder = await user(replica.url, 'flooder');
      await request(flooder.socket, 'room:join', { room: 'flood' });
      const acks = await Promise.all(
        Array.from({ length: 60 }, (_, i) => request(flooder.socket, 'message:send', { room: 'flood', text: `spam ${i}`, clientId: `f${i}` })),
      );
      const limited = acks.filter((a) => !a.ok);
      expect(limited.length).toBeGreaterThan(0);
      expect(limited.every((a) => a.error.code === 'rate_limited')).toBe(true);
      const stored = await replica.store.messages.since('flood', 0, 100);
      expect(stored.messages).toHaveLength(acks.filter((a) => a.ok).length);
      flooder.socket.disconnect();
    });

    it('gives a user one budget across all their sockets, and says when to retry', async () => {
      const tabs = await user(replica.url, 'tabby');
      const otherTab = await tabs.browser.connect();
      const someoneElse = await user(replica.url, 'other');
      for (const socket of [tabs.socket, otherTab, someoneElse.socket]) await request(socket, 'room:join', { room: 'tabs' });
      const { burst, perSecond } = RATE_LIMITS['message:send'];
      const send = (socket: Socket, clientId: string) => request(socket, 'message:send', { room: 'tabs', text: clientId, clientId });
      // The replica runs in this process: a frozen clock makes the budget exact (no refill meanwhile).
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        const acks = await Promise.all(Array.from({ length: burst }, (_, i) => send(i % 2 ? otherTab : tabs.socket, `tab${i}`)));
        expect(acks.every((a) => a.ok)).toBe(true);
        const retryAfterMs = Math.ceil(1000 / perSecond);
        for (const socket of [tabs.socket, otherTab]) {
          expect(await send(socket, `over-${socket.id}`)).toEqual({
            ok: false,
            error: { code: 'rate_limited', message: 'Too many "message:send" events; slow down.', retryAfterMs },
          });
        }
        expect((await send(someoneElse.socket, 'not-limited')).ok).toBe(true);
        vi.setSystemTime(Date.now() + retryAfterMs);
        expect((await send(otherTab, 'after-the-wait')).ok).toBe(true);
      } finally {
        vi.useRealTimers();
        for (const socket of [tabs.socket, otherTab, someoneElse.socket]) socket.disconnect();
      }
    });

    it('drops a connection that sends an oversized packet, and keeps serving others', async () => {
      const mallory = await user(replica.url, 'mallory');
      const closed = new Promise((resolve) => mallory.socket.once('disconnect', resolve));
      mallory.socket.emit('message:send', { room: 'general', text: 'z'.repeat(200_000), clientId: 'huge' });
      await closed;
      expect((await request(alice.socket, 'typing', { room: 'general', typing: false })).ok).toBe(true);
    });
  });
});
