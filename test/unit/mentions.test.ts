import { describe, expect, it } from 'vitest';
import { mentionCandidates, mentionOf, MAX_MENTIONS, resolveMentions } from '../../src/chat/mentions.js';
import { nameKey } from '../../src/identity/name-key.js';

/** A user repository that knows `names`, as findMany does: case-insensitive, unknown names left out. */
const usersNamed = (names: string[]) => ({
  findMany: async (asked: readonly string[]) =>
    names.filter((n) => asked.some((a) => nameKey(a) === nameKey(n))).map((name) => ({ name, nameKey: nameKey(name), passwordHash: null, avatarUrl: null, createdAt: 0, banned: false })),
});

describe('mentions', () => {
  it('writes a mention that finds exactly the name, spaces included', () => {
    expect(mentionOf('bob')).toBe('@bob');
    expect(mentionOf('anne-marie.j_2')).toBe('@anne-marie.j_2');
    expect(mentionOf('Mary Jane')).toBe('@[Mary Jane]');
    for (const name of ['bob', 'Mary Jane', 'Zoë', 'a.b']) expect(mentionCandidates(`hi ${mentionOf(name)}!`)).toContainEqual([name]);
  });

  it('finds bare and bracketed mentions in order, not inside addresses', () => {
    expect(mentionCandidates('@bob and @[Mary Jane], mail x@bob.org')).toEqual([['bob'], ['Mary Jane']]);
    expect(mentionCandidates('thanks @bob.')).toEqual([['bob.', 'bob']]);
    expect(mentionCandidates('no mention @ all, @[] or @[  ]')).toEqual([]);
  });

  it('resolves to existing users as stored, once each, case-insensitively, literal names first', async () => {
    const users = usersNamed(['Bob', 'Mary Jane', 'eve.', 'eve']);
    expect(await resolveMentions(users, '@bob @[mary jane] @BOB @nobody @everyone')).toEqual(['Bob', 'Mary Jane']);
    expect(await resolveMentions(users, 'cc @eve.')).toEqual(['eve.']);
    expect(await resolveMentions(usersNamed(['eve']), 'cc @eve.')).toEqual(['eve']);
    expect(await resolveMentions(users, 'no one here')).toEqual([]);
  });

  it(`stops at ${MAX_MENTIONS} users`, async () => {
    const names = Array.from({ length: MAX_MENTIONS + 5 }, (_, i) => `u${i}`);
    expect(await resolveMentions(usersNamed(names), names.map((n) => `@${n}`).join(' '))).toEqual(names.slice(0, MAX_MENTIONS));
  });
});
