/**
 * A store filled through its own port with a bit of everything the embedded store keeps, and what the
 * port gives back of it: the migration tests fill an embedded store, migrate it, and compare the
 * MongoDB store's answers with these.
 */
import { dmRoomName } from '../../src/chat/dm.js';
import { ORSet } from '../../src/crdt/index.js';
import { hashPassword } from '../../src/identity/passwords.js';
import type { Store } from '../../src/store/port.js';
import { searchTerms } from '../../src/search/terms.js';

export const PASSWORD = 'correct horse battery';
export const USERS = ['alice', 'Bob', 'Zoë', 'mallory'] as const;
export const DM = dmRoomName('alice', 'Bob');
/** Every room the fill makes, public, private and a DM. */
export const ROOMS = ['general', 'random', 'secret', DM] as const;
/** The cap the fill trims 'general' to. */
export const HISTORY_MAX = 5;
const SEARCHES = ['deploy', 'hello', 'plan', 'zo'];

const friendsOf = (...names: string[]) => ORSet.encode(ORSet.add(ORSet.initial(), 'replica-1', ...names)!);

/** Fills `store` (opened with `historyMax: HISTORY_MAX`) through the store port. */
export async function fillStore(store: Store, avatarUrl: string | null = null): Promise<void> {
  for (const name of USERS) await store.users.claim(name);
  await store.users.setPasswordHash('alice', await hashPassword(PASSWORD));
  if (avatarUrl) await store.users.setAvatar('alice', avatarUrl);
  await store.users.setBanned('mallory', true);

  await store.rooms.ensure('general');
  await store.rooms.createPrivate('secret', 'alice');
  await store.rooms.addMember('secret', 'Zoë');
  await store.rooms.addMember('secret', 'Bob');
  await store.rooms.removeMember('secret', 'Zoë');
  await store.rooms.openDm(DM, ['alice', 'Bob']);

  const post = async (room: string, author: string, text: string, extra: { replyTo?: string; mentions?: string[] } = {}) =>
    (await store.messages.append({ room, author, text, clientId: `${author}-${text}`, ts: 1_700_000_000_000 + text.length, ...extra })).message;
  const first = await post('general', 'alice', 'hello everyone');
  const plan = await post('general', 'Bob', 'the deployment plan', { mentions: ['alice'] });
  await post('general', 'Zoë', 'yes to the plan', { replyTo: plan.id });
  await store.messages.change('general', plan.id, { kind: 'edit', text: 'the deploy plan, edited', at: 1_700_000_100_000, mentions: ['Zoë'] });
  await store.messages.change('general', first.id, { kind: 'react', emoji: '👍', user: 'Bob', on: true });
  await store.messages.change('general', first.id, { kind: 'react', emoji: '🎉', user: 'Zoë', on: true });
  await store.messages.change('general', first.id, { kind: 'react', emoji: '👍', user: 'Zoë', on: true });
  await store.messages.change('general', first.id, { kind: 'react', emoji: '🎉', user: 'Zoë', on: false });
  const gone = await post('general', 'alice', 'a secret that goes');
  await store.messages.change('general', gone.id, { kind: 'delete' });
  // Past the cap: the oldest messages of general are trimmed.
  for (let i = 0; i < HISTORY_MAX; i++) await post('general', 'Bob', `hello again ${i}`);
  await post('random', 'alice', 'hello random @Zoë', { mentions: ['Zoë'] });
  await post('secret', 'alice', 'the private plan');
  await post(DM, 'Bob', 'hello alice, just us');

  await store.friends.update('alice', () => friendsOf('Bob', 'Zoë'));
  await store.friends.update('Bob', () => friendsOf('alice'));
  await store.reads.advance('alice', 'general', 4);
  await store.reads.advance('Bob', 'random', 1);
  await store.reads.advance('Zoë', 'general', 2);
}

/** What the store's port says of everything `fillStore` made: history both ways, unread, search, rooms, users, friends, reads, the history epoch. */
export async function snapshot(store: Store) {
  const rooms = [];
  for (const room of ROOMS) {
    rooms.push({
      room: await store.rooms.find(room),
      members: await store.rooms.members(room),
      before: await store.messages.before(room, undefined, 100),
      since: await store.messages.since(room, 0, 500),
      sinceTwo: await store.messages.since(room, 2, 500),
    });
  }
  const users = [];
  for (const name of USERS) {
    const positions = await store.reads.positions(name);
    users.push({
      user: await store.users.find(name),
      rooms: await store.rooms.listFor(name),
      positions: [...positions].sort(),
      unread: [...(await store.messages.unread(name, ROOMS.map((room) => ({ room, after: positions.get(room) ?? 0 }))))],
    });
  }
  const searches = [];
  for (const query of SEARCHES) searches.push(await store.messages.search({ terms: searchTerms(query), rooms: [...ROOMS], limit: 50 }));
  const friends = (await store.friends.all()).sort((a, b) => a.owner.localeCompare(b.owner));
  // The same epoch, so clients that reconnect after the move merge their seqs instead of resyncing.
  return { rooms, users, searches, friends, historyEpoch: store.historyEpoch };
}
