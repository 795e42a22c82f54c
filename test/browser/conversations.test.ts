/**
 * Private conversations on the page in Chromium: a click on a friend opens the DM, which the other
 * person sees; a private room's invitee sees it arrive live while a non-member is refused it; a
 * mention is highlighted and counted in the mentioned user's room list; one user's two tabs share
 * their reads, so reading in one clears the badge in the other.
 */
import type { Browser, Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { describeWithChromium, useReplicaAndChromium } from '../helpers/chromium.js';
import type { Replica } from '../../dev/harness.js';
import { composer, message, openChat, roomLink, roomReady, send } from './pages.js';

/** What the notification test touches of the page's globals. */
interface PageGlobals {
  Notification: new (title: string, options?: object) => object;
  shownNotifications: string[];
  document: { dispatchEvent(event: Event): boolean };
}

/** The link to the DM with `name` in the direct messages list. */
const dmLink = (page: Page, name: string) => page.locator('#dm-list').getByRole('link', { name: new RegExp(`^${name}, direct message`) });

/** The badges of room `room`'s entry in the room list. */
const badgesOf = (page: Page, room: string) => page.locator(`#room-list li[data-room="${room}"] .badge`).allTextContents();

describeWithChromium('private conversations in Chromium', () => {
  let replica: Replica;
  let browser: Browser;
  useReplicaAndChromium((r, b) => {
    [replica, browser] = [r, b];
  });

  it('opens the DM from a click on a friend, and the other person sees it and its messages', { timeout: 60_000 }, async () => {
    const bob = await openChat(browser, replica.url, 'dmbob');
    const alice = await openChat(browser, replica.url, 'dmalice');
    await alice.page.getByLabel('Add a friend by name').fill('dmbob');
    await alice.page.getByLabel('Add a friend by name').press('Enter');
    await alice.page.locator('#friend-list').getByRole('button', { name: 'Message dmbob' }).click();
    await alice.page.getByRole('heading', { name: 'Direct messages with dmbob' }).waitFor();
    await send(alice.page, 'hello in private');
    await message(alice.page, 'hello in private').waitFor();

    // bob was not in the room: the first message brings it into his list, counted, with alice's
    // presence though she is not his friend.
    await dmLink(bob.page, 'dmalice').waitFor();
    expect(await dmLink(bob.page, 'dmalice').getAttribute('aria-label')).toMatch(/^dmalice, direct message, online/);
    await expect.poll(() => bob.page.locator('#dm-list .badge').allTextContents()).toEqual(['1']);
    await dmLink(bob.page, 'dmalice').click();
    await bob.page.getByRole('heading', { name: 'Direct messages with dmalice' }).waitFor();
    await message(bob.page, 'hello in private').waitFor();
    await expect.poll(() => bob.page.locator('#dm-list .badge').count()).toBe(0);
    expect([...alice.problems, ...bob.problems]).toEqual([]);
    await Promise.all([alice.context.close(), bob.context.close()]);
  });

  it('creates a private room, whose invitee sees it live, and refuses it to anyone else', { timeout: 60_000 }, async () => {
    const owner = await openChat(browser, replica.url, 'pvowner');
    const guest = await openChat(browser, replica.url, 'pvguest');
    const outsider = await openChat(browser, replica.url, 'pvoutsider');
    await owner.page.getByLabel('Join or create a room').fill('secret-plans');
    await owner.page.getByLabel('Make it a private room').check();
    await owner.page.getByLabel('Join or create a room').press('Enter');
    await owner.page.getByRole('heading', { name: 'Private room # secret-plans' }).waitFor();
    await send(owner.page, 'only for us');
    await message(owner.page, 'only for us').waitFor();

    await owner.page.getByLabel('Invite someone by name').fill('pvguest');
    await owner.page.getByLabel('Invite someone by name').press('Enter');
    await owner.page.locator('#member-list').getByRole('button', { name: 'Message pvguest' }).waitFor({ state: 'attached' });
    await roomLink(guest.page, 'secret-plans').waitFor();
    expect(await roomLink(guest.page, 'secret-plans').getAttribute('aria-label')).toMatch(/^#secret-plans, private, 1 unread/);
    await roomLink(guest.page, 'secret-plans').click();
    await message(guest.page, 'only for us').waitFor();

    // The outsider neither lists it nor may open it by its address.
    expect(await roomLink(outsider.page, 'secret-plans').count()).toBe(0);
    await outsider.page.goto(`${replica.url}/r/secret-plans`);
    await outsider.page.getByText(/not a member of #secret-plans/).waitFor();
    await outsider.page.getByRole('heading', { name: '# general' }).waitFor();
    expect(await message(outsider.page, 'only for us').count()).toBe(0);

    // A member who leaves is out of the room, and of its list, on their own say.
    const leaver = await openChat(browser, replica.url, 'pvleaver');
    await owner.page.getByLabel('Invite someone by name').fill('pvleaver');
    await owner.page.getByLabel('Invite someone by name').press('Enter');
    await roomLink(leaver.page, 'secret-plans').click();
    await message(leaver.page, 'only for us').waitFor();
    await leaver.page.getByRole('button', { name: 'Leave this room' }).click();
    await leaver.page.getByText('You left #secret-plans.').waitFor();
    await leaver.page.getByRole('heading', { name: '# general' }).waitFor();
    expect(await roomLink(leaver.page, 'secret-plans').count()).toBe(0);
    await owner.page.locator('#member-list').getByRole('button', { name: 'Message pvleaver' }).waitFor({ state: 'detached' });

    // Removed by the owner, the guest is taken out of the room and told why.
    await owner.page.getByRole('button', { name: 'Remove pvguest from the room' }).click();
    await guest.page.getByText('You were removed from #secret-plans by its owner.').waitFor();
    await guest.page.getByRole('heading', { name: '# general' }).waitFor();
    expect(await roomLink(guest.page, 'secret-plans').count()).toBe(0);
    expect([...owner.problems, ...guest.problems, ...outsider.problems, ...leaver.problems]).toEqual([]);
    await Promise.all([owner.context.close(), guest.context.close(), outsider.context.close(), leaver.context.close()]);
  });

  it('highlights a mention and counts it in the mentioned user’s room list', { timeout: 60_000 }, async () => {
    const mia = await openChat(browser, replica.url, 'mia', 'elsewhere');
    await mia.page.getByRole('link', { name: /^#general,/ }).waitFor();
    // Headless Chromium never hides a tab: the test hides it (document.visibilityState) itself, and
    // records the notifications the page makes, with permission granted as a user would grant it.
    await mia.context.grantPermissions(['notifications']);
    await mia.page.evaluate(() => {
      // The page's globals, typed here: this file is compiled without the DOM's types.
      const page = globalThis as unknown as PageGlobals;
      const shown: string[] = [];
      page.shownNotifications = shown;
      const Real = page.Notification;
      class Recorded extends Real {
        constructor(title: string, options?: object) {
          super(title, options);
          shown.push(title);
        }
      }
      Object.defineProperty(page, 'Notification', { value: Recorded, configurable: true });
      Object.defineProperty(page.document, 'visibilityState', { get: () => 'hidden', configurable: true });
    });
    const ned = await openChat(browser, replica.url, 'ned');
    // The composer suggests the name after `@`; Enter takes the suggestion, not the message.
    await composer(ned.page).fill('ping @mi');
    await ned.page.getByRole('option', { name: 'mia' }).waitFor();
    await composer(ned.page).press('Enter');
    expect(await composer(ned.page).inputValue()).toBe('ping @mia ');
    await composer(ned.page).press('End');
    await composer(ned.page).pressSequentially('and @nobody');
    await composer(ned.page).press('Escape');
    await composer(ned.page).press('Enter');
    await expect.poll(() => badgesOf(mia.page, 'general')).toEqual(['@1', '1']);
    expect(await mia.page.evaluate(() => (globalThis as unknown as PageGlobals).shownNotifications)).toEqual(['ned mentioned you in #general']);
    await mia.page.evaluate(() => {
      const { document } = globalThis as unknown as PageGlobals;
      Object.defineProperty(document, 'visibilityState', { get: () => 'visible', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await roomLink(mia.page, 'general').click();
    await roomReady(mia.page, 'general');
    const item = message(mia.page, 'ping @mia and @nobody');
    await item.waitFor();
    expect(await item.getAttribute('class')).toMatch(/mentions-me/);
    expect(await item.locator('.mention').allTextContents()).toEqual(['@mia']);
    await expect.poll(() => badgesOf(mia.page, 'general')).toEqual([]);
    expect([...mia.problems, ...ned.problems]).toEqual([]);
    await Promise.all([mia.context.close(), ned.context.close()]);
  });

  it('clears a badge in one tab when the same user reads the room in another', { timeout: 60_000 }, async () => {
    const host = await openChat(browser, replica.url, 'tabhost');
    await host.page.getByLabel('Join or create a room').fill('tabs-room');
    await host.page.getByLabel('Make it a private room').check();
    await host.page.getByLabel('Join or create a room').press('Enter');
    await host.page.getByRole('heading', { name: 'Private room # tabs-room' }).waitFor();
    await host.page.getByLabel('Invite someone by name').fill('tabreader');
    // The invitee must exist: sign them in first, in two tabs of one browser context.
    const first = await openChat(browser, replica.url, 'tabreader');
    const second = await first.context.newPage();
    await second.goto(`${replica.url}/r/general`);
    await roomReady(second, 'general');
    await host.page.getByLabel('Invite someone by name').press('Enter');
    for (const page of [first.page, second]) await roomLink(page, 'tabs-room').waitFor();
    await send(host.page, 'news for both tabs');
    for (const page of [first.page, second]) await expect.poll(() => badgesOf(page, 'tabs-room')).toEqual(['1']);

    await roomLink(first.page, 'tabs-room').click();
    await message(first.page, 'news for both tabs').waitFor();
    await expect.poll(() => badgesOf(second, 'tabs-room')).toEqual([]);
    expect(await second.getByRole('heading', { name: '# general' }).count()).toBe(1);
    expect([...host.problems, ...first.problems]).toEqual([]);
    await Promise.all([host.context.close(), first.context.close()]);
  });

  it('finds a message by a word’s start, marks the match, and jumps to it, loading older history', { timeout: 90_000 }, async () => {
    const writer = await openChat(browser, replica.url, 'searcher', 'archive');
    await send(writer.page, 'the Deployment checklist is here');
    await message(writer.page, 'the Deployment checklist is here').waitFor();
    // Enough later messages that the found one is not in the room's first page after a reload.
    for (let i = 0; i < 55; i++) {
      await send(writer.page, `filler ${i}`);
      await message(writer.page, `filler ${i}`).waitFor();
    }
    await writer.page.goto(`${replica.url}/r/general`);
    await roomReady(writer.page, 'general');
    expect(await writer.page.locator('.timeline[data-room="archive"] li.msg').count()).toBeLessThan(56);

    await writer.page.getByLabel('Search messages').fill('deploy');
    await writer.page.getByLabel('Search messages').press('Enter');
    const result = writer.page.locator('#search-list .search-result');
    await result.first().waitFor();
    expect(await result.count()).toBe(1);
    expect(await result.locator('mark').allTextContents()).toEqual(['Deployment']); // the server marks the whole word a query word starts
    await result.click();
    await writer.page.getByRole('heading', { name: '# archive' }).waitFor();
    const found = message(writer.page, 'the Deployment checklist is here');
    await expect.poll(() => found.evaluate((li) => li === li.ownerDocument.activeElement)).toBe(true);

    // 55 fillers match "fill": pages of 20, newest first, "More results" until none are left.
    await writer.page.getByLabel('Search messages').fill('fill');
    await writer.page.getByLabel('Search messages').press('Enter');
    const more = writer.page.getByRole('button', { name: 'More results' });
    for (const shown of [20, 40]) {
      await expect.poll(() => result.count()).toBe(shown);
      await more.click();
    }
    await expect.poll(() => result.count()).toBe(55);
    await more.waitFor({ state: 'hidden' });
    const texts = await writer.page.locator('#search-list .search-text').allTextContents();
    expect(texts).toEqual(Array.from({ length: 55 }, (_, i) => `filler ${54 - i}`));
    expect(writer.problems).toEqual([]);
    await writer.context.close();
  });
});
