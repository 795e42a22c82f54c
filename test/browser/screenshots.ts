/**
 * Makes the README's screenshots (docs/screenshots/): the chat as alice sees it, and /demo with two
 * users. Run it after changing the page: `npx tsx test/browser/screenshots.ts`.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.js';
import { request, startReplica, user } from '../../dev/harness.js';
import { message, openChat, openPage, roomLink, roomReady, send } from './pages.js';

const OUT_DIR = path.resolve('docs/screenshots');

const browser = await launchChromium();
try {
  await withReplica(chatScreenshot);
  await withReplica(demoScreenshot);
} finally {
  await browser.close();
}

async function withReplica(take: (url: string) => Promise<void>): Promise<void> {
  const replica = await startReplica();
  try {
    await take(replica.url);
  } finally {
    await replica.stop();
  }
}

async function chatScreenshot(url: string): Promise<void> {
  // Two people already talking in #general, one of them about to say more, someone else in #design.
  const bob = await user(url, 'Bob Marley');
  const carol = await user(url, 'carol');
  const dave = await user(url, 'dave');
  for (const socket of [bob.socket, carol.socket]) await request(socket, 'room:join', { room: 'general' });
  await request(dave.socket, 'room:join', { room: 'design' });
  const say = (socket: typeof bob.socket, room: string, text: string) => request(socket, 'message:send', { room, text, clientId: crypto.randomUUID() });
  await say(bob.socket, 'general', 'Morning all! The new build is on staging.');
  await say(bob.socket, 'general', 'Release notes: https://example.org/chorus/releases/0.2');
  await say(carol.socket, 'general', 'Nice. Reconnects feel instant now.\nEven after I restarted the server twice.');

  const alice = await openChat(browser, url, 'alice');
  await send(alice.page, 'Looks great. Presence dots flash when a friend comes online, too.');
  await message(alice.page, 'Looks great. Presence dots flash when a friend comes online, too.').waitFor();
  await say(bob.socket, 'general', 'Shipping it after lunch then.');
  for (const name of ['Bob Marley', 'carol', 'dave']) {
    await alice.page.getByLabel('Add a friend by name').fill(name);
    await alice.page.getByLabel('Add a friend by name').press('Enter');
    await alice.page.locator(`#friend-list li[data-friend="${name.toLowerCase()}"]`).waitFor();
  }
  // alice visits #design once, so it keeps counting unread messages while she is back in #general.
  await alice.page.getByLabel('Join or create a room').fill('design');
  await alice.page.getByLabel('Join or create a room').press('Enter');
  await roomReady(alice.page, 'design');
  await roomLink(alice.page, 'general').click();
  await roomReady(alice.page, 'general');
  await say(dave.socket, 'design', 'New logo drafts are up');
  await say(dave.socket, 'design', 'Feedback welcome');
  dave.socket.close();
  await alice.page.locator('#friend-list li[data-friend="dave"] .dot.offline').waitFor();
  await request(carol.socket, 'typing', { room: 'general', typing: true });
  await alice.page.getByText('carol is typing…').waitFor();
  await settle(alice.page);
  await alice.page.screenshot({ path: path.join(OUT_DIR, 'chat.png'), animations: 'disabled' });
  await alice.context.close();
  for (const other of [bob, carol]) other.socket.close();
}

async function demoScreenshot(url: string): Promise<void> {
  const demo = await openPage(browser, `${url}/demo`, { width: 1800, height: 860 });
  const frames = [0, 1].map((i) => demo.page.frameLocator('iframe').nth(i));
  for (const frame of frames) await frame.getByRole('button', { name: 'Sign in' }).click();
  for (const frame of frames) await frame.locator('#member-list li[data-member="bob"]').waitFor({ state: 'attached' });
  const composer = (i: number) => frames[i]!.getByRole('textbox', { name: 'Message', exact: true });
  await composer(0).fill('Hi bob! Adding you as a friend.');
  await composer(0).press('Enter');
  await composer(1).fill('Hey alice! Same here.');
  await composer(1).press('Enter');
  for (const [i, friend] of [[0, 'bob'], [1, 'alice']] as const) {
    await frames[i]!.getByLabel('Add a friend by name').fill(friend);
    await frames[i]!.getByLabel('Add a friend by name').press('Enter');
    await frames[i]!.locator(`#friend-list li[data-friend="${friend}"] .dot.online`).waitFor();
  }
  await composer(1).pressSequentially('see you');
  await frames[0]!.getByText('bob is typing…').waitFor();
  await settle(demo.page);
  await demo.page.screenshot({ path: path.join(OUT_DIR, 'demo.png'), animations: 'disabled' });
  await demo.context.close();
}

/** Lets fonts load before the picture is taken. */
async function settle(page: Page): Promise<void> {
  await page.evaluate(() => (globalThis as unknown as { document: { fonts: { ready: Promise<unknown> } } }).document.fonts.ready);
}
