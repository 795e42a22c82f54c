/**
 * The protocol table (`src/realtime/protocol.ts`) against what is written about it, and the check on
 * messages from other replicas.
 */
import fs from 'node:fs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/chat/messages.js';
import { peerMessageReceiver } from '../../src/realtime/message-fanout.js';
import { CLIENT_EVENTS, RATE_LIMITS, peerMessage } from '../../src/realtime/protocol.js';

const PROTOCOL_DOC = new URL('../../docs/protocol.md', import.meta.url);
const LIMITS_HEADER = '| event | burst | then per second |';

/** The socket rate limits table of docs/protocol.md, as the code spells it. */
function documentedLimits(): Record<string, { burst: number; perSecond: number }> {
  const lines = fs.readFileSync(PROTOCOL_DOC, 'utf8').split('\n');
  const start = lines.indexOf(LIMITS_HEADER);
  expect(start, `docs/protocol.md has a table headed "${LIMITS_HEADER}"`).toBeGreaterThan(-1);
  const rows = lines.slice(start + 2);
  const end = rows.findIndex((line) => !line.startsWith('|'));
  const table = end === -1 ? rows : rows.slice(0, end);
  return Object.fromEntries(
    table.map((row) => {
      const [event, burst, perSecond] = row.split('|').slice(1, -1).map((cell) => cell.trim());
      return [event!.replace(/^`|`$/g, ''), { burst: Number(burst), perSecond: Number(perSecond) }];
    }),
  );
}

describe('the protocol table', () => {
  it('is the rate limits docs/protocol.md lists, event for event, in its order', () => {
    const documented = documentedLimits();
    expect(documented).toEqual(RATE_LIMITS);
    expect(Object.keys(documented)).toEqual(CLIENT_EVENTS);
  });
});

describe('a chat:message from another replica', () => {
  const posted = { id: 'm1', room: 'general', seq: 7, clientId: 'c1', user: { name: 'alice', avatarUrl: null }, text: 'hi', ts: 1 };
  const message: Message = { ...posted, updatedSeq: 7, editedAt: null, deleted: false, replyTo: null, reactions: [], mentions: [] };

  it('passes whole, with a field a newer replica may add', () => {
    expect(peerMessage.parse(message)).toEqual(message);
    expect(peerMessage.parse({ ...message, pinned: true })).toEqual({ ...message, pinned: true });
    const changed = { ...message, updatedSeq: 9, replyTo: { id: 'm0', user: { name: 'bob', avatarUrl: null }, excerpt: null }, reactions: [{ emoji: '👍', users: ['bob'] }] };
    expect(peerMessage.parse(changed)).toEqual(changed);
  });

  it('takes a message from a replica older than the room log as an unchanged post', () => {
    expect(peerMessage.parse(posted)).toEqual(message);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'hello'],
    ['no room', { ...message, room: undefined }],
    ['a string seq', { ...message, seq: '7' }],
    ['seq 0', { ...message, seq: 0 }],
    ['a fractional seq', { ...message, seq: 1.5 }],
    ['no user', { ...message, user: undefined }],
    ['a user without a name', { ...message, user: { avatarUrl: null } }],
    ['an avatarUrl that is a number', { ...message, user: { name: 'alice', avatarUrl: 5 } }],
    ['a number as text', { ...message, text: 5 }],
    ['no clientId', { ...message, clientId: undefined }],
    ['no ts', { ...message, ts: undefined }],
    ['an updatedSeq before its seq', { ...message, updatedSeq: 6 }],
    ['reactions that are not a list', { ...message, reactions: { '👍': ['bob'] } }],
    ['a reply without an id', { ...message, replyTo: { user: { name: 'bob', avatarUrl: null }, excerpt: 'x' } }],
  ])('is refused with %s', (_label, value) => {
    expect(peerMessage.safeParse(value).success).toBe(false);
  });

  it('is dropped with a warning when malformed, and the next one still goes on', () => {
    const lines: Array<{ level: number; msg: string; problem?: string }> = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const pushed: Message[] = [];
    const receive = peerMessageReceiver(logger, (m) => pushed.push(m));
    // What the hand-written guard let through: every field it looked at is there, clientId and ts are not.
    expect(() => receive({ id: 'm0', room: 'general', seq: 6, text: 'injected', user: { name: 'mallory' } })).not.toThrow();
    receive(undefined);
    receive(message);
    expect(pushed).toEqual([message]);
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, msg: 'dropped a malformed chat:message from another replica', problem: expect.stringContaining('clientId') }),
      expect.objectContaining({ level: 40, msg: 'dropped a malformed chat:message from another replica' }),
    ]);
  });
});
