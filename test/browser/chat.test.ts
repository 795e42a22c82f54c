/**
 * The chat page in real headless Chromium against a real replica: two people in two browser contexts
 * (separate cookies), driven through labels and roles as a person would use the page.
 */
import type { Browser } from 'playwright-core';
import { expect, it } from 'vitest';
import { describeWithChromium, useReplicaAndChromium } from '../helpers/chromium.js';
import type { Replica } from '../../dev/harness.js';
import { PNG_1x1 } from '../helpers/images.js';
import { activeLog, message, openChat, openPage, roomLink, roomReady, screenshot, send, shownMessages, signIn } from './pages.js';

// Page-side code below runs in the browser; these are the few DOM shapes it touches.
declare const document: { documentElement: { scrollWidth: number; clientWidth: number }; querySelector(selector: string): { scrollWidth: number } | null };
interface LoadedImage {
  decode(): Promise<void>;
  naturalWidth: number;
}

describeWithChromium('the chat page in Chromium', () => {
  let replica: Replica;
  let browser: Browser;
  useReplicaAndChromium((r, b) => {
    [replica, browser] = [r, b];
  });

  it('lets two people talk: messages both ways, typing, grouping, join and leave lines', async () => {
    const alice = await openChat(browser, replica.url, 'alice', 'talk');
    const bob = await openChat(browser, replica.url, 'bob', 'talk');
    await alice.page.getByText('bob joined #talk').waitFor();
    await alice.page.locator('#member-list').getByText('bob').waitFor();
    expect(await alice.page.locator('#room-online').textContent()).toBe('2');

    await bob.page.getByRole('textbox', { name: 'Message', exact: true }).pressSequentially('hel');
    await alice.page.getByText('bob is typing…').waitFor();
    await bob.page.getByRole('textbox', { name: 'Message', exact: true }).press('Enter');
    await message(alice.page, 'hel').waitFor();
    await alice.page.getByText('bob is typing…').waitFor({ state: 'hidden' });

    // Shift+Enter makes a new line; Enter sends.
    const composer = alice.page.getByRole('textbox', { name: 'Message', exact: true });
    await composer.pressSequentially('line one');
    await composer.press('Shift+Enter');
    await composer.pressSequentially('line two');
    await composer.press('Enter');
    await send(alice.page, 'and a second message');
    await message(bob.page, 'line one\nline two').waitFor();
    await message(bob.page, 'and a second message').waitFor();

    const aliceFirst = message(bob.page, 'line one\nline two');
    const aliceSecond = message(bob.page, 'and a second message');
    expect(await aliceFirst.getAttribute('class')).not.toContain('continued');
    expect(await aliceSecond.getAttribute('class')).toContain('continued');
    expect(await message(alice.page, 'and a second message').getAttribute('class')).toContain('mine');
    expect(await message(bob.page, 'and a second message').getAttribute('class')).not.toContain('mine');
    expect(await shownMessages(bob.page)).toEqual(await shownMessages(alice.page));
    await screenshot(alice.page, 'chat-two-users');

    await bob.context.close();
    await alice.page.getByText('bob left #talk').waitFor();
    await alice.page.locator('#member-list').getByText('bob').waitFor({ state: 'detached' });
    expect(alice.problems).toEqual([]);
    await alice.context.close();
  });

  it('counts unread messages in rooms not in view, and opens rooms by link and by name', async () => {
    const carol = await openChat(browser, replica.url, 'carol', 'lobby');
    await carol.page.getByLabel('Join or create a room').fill('Side-Room');
    await carol.page.getByLabel('Join or create a room').press('Enter');
    await roomReady(carol.page, 'side-room');
    expect(new URL(carol.page.url()).pathname).toBe('/r/side-room');
    await roomLink(carol.page, 'lobby').click();
    await roomReady(carol.page, 'lobby');

    const dave = await openChat(browser, replica.url, 'dave', 'side-room');
    await send(dave.page, 'one');
    await send(dave.page, 'two');
    await carol.page.locator('#room-list').getByRole('link', { name: '#side-room, 2 unread, 2 online' }).waitFor();
    await screenshot(carol.page, 'chat-unread');

    await roomLink(carol.page, 'side-room').click();
    await message(carol.page, 'two').waitFor();
    await carol.page.locator('#room-list').getByRole('link', { name: '#side-room, 2 online' }).waitFor();
    await carol.page.goBack();
    await roomReady(carol.page, 'lobby');

    // Leaving a room stops its unread count: dave's next message is not counted.
    await carol.page.locator('#room-list li[data-room="side-room"]').hover();
    await carol.page.getByRole('button', { name: 'Leave #side-room' }).click();
    await dave.page.getByText('carol left #side-room').waitFor();
    await send(dave.page, 'three');
    await message(dave.page, 'three').waitFor();
    await carol.page.locator('#room-list').getByRole('link', { name: /^#side-room, 1 online/ }).waitFor();
    expect(await carol.page.locator('#room-list .badge').count()).toBe(0);
    // The server still counts the room carol once read; a reload lists it with that count, unshown.
    await carol.page.reload();
    await carol.page.locator('#room-list').getByRole('link', { name: /^#side-room, 1 online/ }).waitFor();
    expect(await carol.page.locator('#room-list .badge').count()).toBe(0);
    await Promise.all([carol.context.close(), dave.context.close()]);
  });

  it('explains a refused sign-in beside the form, and protects a name with a password set later', async () => {
    const erin = await openChat(browser, replica.url, 'erin');
    const impostor = await openPage(browser, replica.url);
    await impostor.page.getByLabel('Your name', { exact: true }).fill('Erin');
    await impostor.page.getByRole('button', { name: 'Sign in' }).click();
    await impostor.page.getByRole('alert').filter({ hasText: 'online in another session' }).waitFor();

    await erin.page.getByRole('button', { name: 'Set a password' }).click();
    await erin.page.getByLabel('New password (8+ characters)').fill('erin-secret-1');
    await erin.page.getByRole('button', { name: 'Save password' }).click();
    await erin.page.getByRole('dialog').waitFor({ state: 'hidden' });
    await erin.page.getByRole('button', { name: 'Sign out' }).click();
    await erin.page.getByRole('button', { name: 'Sign in' }).waitFor();

    await impostor.page.getByRole('button', { name: 'Sign in' }).click();
    await impostor.page.getByRole('alert').filter({ hasText: 'protected by a password' }).waitFor();
    await screenshot(impostor.page, 'sign-in-refused');
    await signIn(impostor.page, 'erin', 'erin-secret-1');
    await roomReady(impostor.page, 'general');
    await Promise.all([erin.context.close(), impostor.context.close()]);
  });

  it('shows friends with live presence dots that change when a friend closes the page', async () => {
    const frank = await openChat(browser, replica.url, 'frank', 'friends');
    let gina = await openChat(browser, replica.url, 'gina', 'friends');

    // Frank befriends gina from the member list, gina befriends frank by name.
    await frank.page.getByRole('button', { name: 'Add gina as a friend' }).click();
    await gina.page.getByLabel('Add a friend by name').fill('frank');
    await gina.page.getByLabel('Add a friend by name').press('Enter');
    const ginaAtFrank = frank.page.locator('#friend-list li[data-friend="gina"]');
    const frankAtGina = gina.page.locator('#friend-list li[data-friend="frank"]');
    await ginaAtFrank.locator('.dot.online').waitFor();
    await frankAtGina.locator('.dot.online').waitFor();
    expect(await ginaAtFrank.getByRole('img').getAttribute('aria-label')).toBe('online');

    await gina.context.close();
    await ginaAtFrank.locator('.dot.offline').waitFor();
    expect(await ginaAtFrank.getByRole('img').getAttribute('aria-label')).toBe('offline');
    await screenshot(frank.page, 'friends-offline');

    gina = await openChat(browser, replica.url, 'gina', 'friends');
    await ginaAtFrank.locator('.dot.online').waitFor();
    await gina.page.locator('#friend-list li[data-friend="frank"] .dot.online').waitFor();

    await ginaAtFrank.hover();
    await frank.page.getByRole('button', { name: 'Remove gina from friends' }).click();
    await ginaAtFrank.waitFor({ state: 'detached' });
    expect(frank.problems).toEqual([]);
    await Promise.all([frank.context.close(), gina.context.close()]);
  });

  it('shows a new profile photo at once, and to others on the uploader\'s messages', async () => {
    const hank = await openChat(browser, replica.url, 'hank', 'photos');
    const ivy = await openChat(browser, replica.url, 'ivy', 'photos');
    await send(hank.page, 'before the photo');
    await message(ivy.page, 'before the photo').waitFor();

    await hank.page.locator('#avatar-file').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: PNG_1x1 });
    const ownPhoto = hank.page.locator('#avatar-button img');
    await ownPhoto.waitFor();
    expect(await ownPhoto.getAttribute('src')).toMatch(/^\/uploads\//);
    await message(hank.page, 'before the photo').locator('.avatar img').waitFor();

    await send(hank.page, 'after the photo');
    // "after the photo" continues hank's group, so its own avatar is there but not displayed.
    await message(ivy.page, 'after the photo').locator('.avatar img').waitFor({ state: 'attached' });
    // The earlier message shows the new photo too, and the image really loads.
    const earlier = message(ivy.page, 'before the photo').locator('.avatar img');
    await earlier.waitFor();
    expect(await earlier.evaluate((img) => (img as unknown as LoadedImage).decode().then(() => (img as unknown as LoadedImage).naturalWidth))).toBe(1);
    await screenshot(ivy.page, 'avatar-seen-by-others');
    await Promise.all([hank.context.close(), ivy.context.close()]);
  });

  it('shows markup as text, runs none of it, and links only http(s) addresses', async () => {
    const jack = await openChat(browser, replica.url, 'jack', 'xss');
    const kim = await openChat(browser, replica.url, 'kim', 'xss');
    const payloads = [
      '<img src=x onerror="window.__xss=1">',
      '<script>window.__xss=2</script>',
      '"><svg onload=window.__xss=3>',
      'javascript:window.__xss=4',
    ];
    for (const payload of payloads) await send(jack.page, payload);
    await send(jack.page, 'docs at https://example.org/a?b=1&c=2. thanks');
    for (const payload of payloads) await message(kim.page, payload).waitFor();
    await message(kim.page, 'docs at https://example.org/a?b=1&c=2. thanks').waitFor();

    for (const page of [jack.page, kim.page]) {
      expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
      expect(await activeLog(page).locator('.msg-text img, .msg-text script, .msg-text svg').count()).toBe(0);
    }
    const links = activeLog(kim.page).locator('.msg-text a');
    expect(await links.count()).toBe(1);
    expect(await links.getAttribute('href')).toBe('https://example.org/a?b=1&c=2');
    expect(await links.getAttribute('rel')).toBe('noopener noreferrer nofollow');
    expect(await links.getAttribute('target')).toBe('_blank');
    await screenshot(kim.page, 'xss-as-text');
    expect([...jack.problems, ...kim.problems]).toEqual([]);
    await Promise.all([jack.context.close(), kim.context.close()]);
  });

  it('loads older history while scrolling up, and offers a pill for new messages when scrolled away', async () => {
    const total = 130;
    await replica.store.rooms.ensure('archive');
    for (let i = 1; i <= total; i++) {
      await replica.store.messages.append({ room: 'archive', clientId: `seed-${i}`, author: 'historian', text: `old message ${i}`, ts: Date.now() - (total - i) * 60_000 });
    }
    const lena = await openChat(browser, replica.url, 'lena', 'archive');
    await message(lena.page, `old message ${total}`).waitFor();
    expect((await shownMessages(lena.page)).length).toBe(50);

    const log = activeLog(lena.page);
    await expect
      .poll(async () => {
        await log.evaluate((el) => (el.scrollTop = 0));
        return (await shownMessages(lena.page)).length;
      }, { timeout: 15_000 })
      .toBe(total);
    await lena.page.getByText('This is the very beginning of #archive.').waitFor();
    const shown = await shownMessages(lena.page);
    expect(shown.map((m) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(shown[0]!.text).toBe('old message 1');
    await screenshot(lena.page, 'history-beginning');

    // Scrolled up, a new message does not move the view: a pill offers to jump down.
    const mona = await openChat(browser, replica.url, 'mona', 'archive');
    await log.evaluate((el) => (el.scrollTop = 0));
    await send(mona.page, 'fresh news');
    await message(lena.page, 'fresh news').waitFor({ state: 'attached' });
    const pill = lena.page.getByRole('button', { name: 'New messages ↓' });
    await pill.waitFor();
    expect(await log.evaluate((el) => el.scrollTop)).toBeLessThan(100);
    await pill.click();
    await pill.waitFor({ state: 'hidden' });
    await message(lena.page, 'fresh news').waitFor({ state: 'visible' });
    expect(await log.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).toBeLessThan(48);
    await Promise.all([lena.context.close(), mona.context.close()]);
  });

  it('fits a phone screen: no sideways scrolling, the composer in view, rooms in a drawer', async () => {
    const phone = await openChat(browser, replica.url, 'nina', 'general', { width: 375, height: 740 });
    await send(phone.page, `a long line without spaces ${'x'.repeat(200)} and https://example.org/${'y'.repeat(120)}`);
    await activeLog(phone.page).locator('li.msg').last().waitFor();
    const layout = await phone.page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
      logWidth: document.querySelector('.timeline:not([hidden])')!.scrollWidth,
    }));
    expect(layout.scrollWidth).toBeLessThanOrEqual(layout.clientWidth);
    expect(layout.logWidth).toBeLessThanOrEqual(375);
    const composer = await phone.page.getByRole('textbox', { name: 'Message', exact: true }).boundingBox();
    expect(composer!.y + composer!.height).toBeLessThanOrEqual(740);
    expect(composer!.x).toBeGreaterThanOrEqual(0);
    expect(await phone.page.locator('#sidebar').isVisible()).toBe(false);
    await screenshot(phone.page, 'phone-chat');

    await phone.page.getByRole('button', { name: 'Open the room list' }).click();
    await roomLink(phone.page, 'general').waitFor();
    await screenshot(phone.page, 'phone-rooms');
    await phone.page.keyboard.press('Escape');
    await phone.page.locator('#sidebar').waitFor({ state: 'hidden' });
    expect(phone.problems).toEqual([]);
    await phone.context.close();
  });

  it('/demo holds several users side by side, each frame with a session of its own', async () => {
    const demo = await openPage(browser, `${replica.url}/demo`, { width: 1600, height: 900 });
    const frames = demo.page.locator('iframe');
    await expect.poll(() => frames.count()).toBe(2);
    for (const [index, name] of [[0, 'alice'], [1, 'bob']] as const) {
      const frame = demo.page.frameLocator('iframe').nth(index);
      expect(await frame.getByLabel('Your name', { exact: true }).inputValue()).toBe(name);
      await frame.getByLabel('Your name', { exact: true }).fill(`demo-${name}`);
      await frame.getByRole('button', { name: 'Sign in' }).click();
    }
    for (const index of [0, 1]) {
      const frame = demo.page.frameLocator('iframe').nth(index);
      await frame.locator('#member-list li[data-member="demo-alice"]').waitFor({ state: 'attached' });
      await frame.locator('#member-list li[data-member="demo-bob"]').waitFor({ state: 'attached' });
    }
    // The window itself is signed in as nobody: each session lives in its frame's own cookie.
    const me = await demo.page.evaluate(() => fetch('/api/me').then((res) => res.status));
    expect(me).toBe(401);
    const cookies = await demo.context.cookies();
    expect(cookies.map((c) => `${c.name} ${c.path}`).sort()).toEqual(['chorus.sid.u1 /demo/u/1', 'chorus.sid.u2 /demo/u/2']);

    const [first, second] = [0, 1].map((index) => demo.page.frameLocator('iframe').nth(index));
    await first!.getByRole('textbox', { name: 'Message', exact: true }).fill('hello from the first frame');
    await first!.getByRole('textbox', { name: 'Message', exact: true }).press('Enter');
    await second!.locator('.msg-text', { hasText: 'hello from the first frame' }).waitFor();

    await demo.page.getByRole('button', { name: 'Add user' }).click();
    await expect.poll(() => frames.count()).toBe(3);
    await screenshot(demo.page, 'demo');
    expect(demo.problems).toEqual([]);
    await demo.context.close();
  });
});
