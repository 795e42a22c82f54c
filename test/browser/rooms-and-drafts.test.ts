/**
 * The composer, the rooms and the room log in Chromium: one draft per room that survives a reload and
 * is never sent to another room, moving between rooms by the join form and the keyboard, the joined
 * rooms remembered across a reload, unread counts in the tab title, and join/leave lines collapsed
 * into runs.
 */
import type { Browser } from 'playwright-core';
import { expect, it } from 'vitest';
import { describeWithChromium, useReplicaAndChromium } from '../helpers/chromium.js';
import { request, user, type Replica } from '../../dev/harness.js';
import { composer, message, openChat, roomLink, roomReady, screenshot, send, shownMessages, systemLines } from './pages.js';

describeWithChromium('drafts, rooms and join/leave lines in Chromium', () => {
  let replica: Replica;
  let browser: Browser;
  useReplicaAndChromium((r, b) => {
    [replica, browser] = [r, b];
  });

  it('keeps one draft per room, across a reload, and never sends it to another room', async () => {
    const olga = await openChat(browser, replica.url, 'olga', 'draft-a');
    await composer(olga.page).fill('for draft-a only');
    await olga.page.getByLabel('Join or create a room').fill('draft-b');
    await olga.page.getByLabel('Join or create a room').press('Enter');
    await roomReady(olga.page, 'draft-b');
    expect(await composer(olga.page).inputValue()).toBe('');
    // Enter in the other room sends nothing: the draft stayed with its room.
    await composer(olga.page).press('Enter');
    await send(olga.page, 'b marker');
    await message(olga.page, 'b marker').waitFor();
    expect((await shownMessages(olga.page)).map((m) => m.text)).toEqual(['b marker']);

    await composer(olga.page).fill('draft for b');
    await olga.page.reload();
    await roomReady(olga.page, 'draft-b');
    expect(await composer(olga.page).inputValue()).toBe('draft for b');
    await roomLink(olga.page, 'draft-a').click();
    await roomReady(olga.page, 'draft-a');
    expect(await composer(olga.page).inputValue()).toBe('for draft-a only');
    await composer(olga.page).press('Enter');
    await message(olga.page, 'for draft-a only').waitFor();
    expect(await composer(olga.page).inputValue()).toBe('');

    // What the server holds: each text in its own room, once.
    const texts = async (room: string) => {
      const page = (await (await olga.context.request.get(`${replica.url}/api/rooms/${room}/messages?limit=100`)).json()) as { messages: { text: string }[] };
      return page.messages.map((m) => m.text);
    };
    expect(await texts('draft-a')).toEqual(['for draft-a only']);
    expect(await texts('draft-b')).toEqual(['b marker']);
    // A sent draft is gone for good: back in draft-a after a reload, the composer is empty.
    await olga.page.reload();
    await roomReady(olga.page, 'draft-a');
    expect(await composer(olga.page).inputValue()).toBe('');
    expect(olga.problems).toEqual([]);
    await olga.context.close();
  });

  it('moves through the joined rooms by keyboard, refuses a bad room name, remembers the rooms and counts unread in the tab title', async () => {
    const quinn = await openChat(browser, replica.url, 'quinn', 'nav-a');
    const joinBox = quinn.page.getByLabel('Join or create a room');
    await joinBox.fill('not a room!');
    await joinBox.press('Enter');
    await quinn.page.locator('#join-room-error', { hasText: 'Room names are 1-64 of a-z, 0-9, - and _.' }).waitFor();
    await joinBox.fill('#Nav-B');
    await joinBox.press('Enter');
    await roomReady(quinn.page, 'nav-b');
    expect(await quinn.page.locator('#join-room-error').textContent()).toBe('');

    // The joined rooms in list order are general, nav-a, nav-b; Alt+↑ and Alt+↓ go round them.
    for (const [key, room] of [['Alt+ArrowUp', 'nav-a'], ['Alt+ArrowUp', 'general'], ['Alt+ArrowUp', 'nav-b'], ['Alt+ArrowDown', 'general']] as const) {
      await quinn.page.keyboard.press(key);
      await roomReady(quinn.page, room);
    }
    expect(new URL(quinn.page.url()).pathname).toBe('/r/general');

    await quinn.page.reload();
    await roomReady(quinn.page, 'general');
    const joined = () => quinn.page.locator('#room-list li.joined').evaluateAll((items) => items.map((li) => li.getAttribute('data-room')));
    await expect.poll(joined).toEqual(['general', 'nav-a', 'nav-b']);

    const rae = await user(replica.url, 'rae');
    expect(await request(rae.socket, 'room:join', { room: 'nav-b' })).toMatchObject({ ok: true });
    expect(await request(rae.socket, 'message:send', { room: 'nav-b', text: 'unread one', clientId: 'unread-one' })).toMatchObject({ ok: true });
    await expect.poll(() => quinn.page.title()).toBe('(1) #general · Chorus');
    await roomLink(quinn.page, 'nav-b').click();
    await message(quinn.page, 'unread one').waitFor();
    await expect.poll(() => quinn.page.title()).toBe('#nav-b · Chorus');
    expect(quinn.problems).toEqual([]);
    rae.socket.disconnect();
    await quinn.context.close();
  });

  it('collapses a run of arrivals or departures into one line', async () => {
    const pia = await openChat(browser, replica.url, 'pia', 'crowd');
    const others = [];
    for (const name of ['q1', 'q2', 'q3', 'q4', 'q5']) {
      const other = await user(replica.url, name);
      expect(await request(other.socket, 'room:join', { room: 'crowd' })).toMatchObject({ ok: true });
      others.push(other);
    }
    const joined = systemLines(pia.page).filter({ hasText: 'q1, q2 and 3 others joined #crowd' });
    await joined.waitFor();
    expect(await systemLines(pia.page).allTextContents()).toEqual(['q1, q2 and 3 others joined #crowd']);
    // Everyone is named on hover.
    expect(await activeSystemItem(joined).getAttribute('title')).toBe('q1, q2, q3, q4, q5');
    await screenshot(pia.page, 'joins-collapsed');

    // A message ends the run; the departures after it start a new one.
    await send(pia.page, 'hello everyone');
    await message(pia.page, 'hello everyone').waitFor();
    // A join for someone the page already lists (a return the server took for an arrival) is not shown.
    replica.app.io.to('crowd').emit('member:join', { room: 'crowd', user: { name: 'q3', avatarUrl: null } });
    others[0]!.socket.disconnect();
    others[1]!.socket.disconnect();
    await systemLines(pia.page).filter({ hasText: 'q1 and q2 left #crowd' }).waitFor({ timeout: 15_000 });
    expect(await systemLines(pia.page).allTextContents()).toEqual(['q1, q2 and 3 others joined #crowd', 'q1 and q2 left #crowd']);
    expect(pia.problems).toEqual([]);
    for (const other of others) other.socket.disconnect();
    await pia.context.close();
  });
});

/** The `li.system` a system line's text is in. */
const activeSystemItem = (line: ReturnType<typeof systemLines>) => line.locator('xpath=..');
