/**
 * The room log on the page in Chromium: edits, deletes, replies and reactions made in one page are
 * seen live in another and survive a reload; Up arrow edits the last message and Escape cancels;
 * a reply's quote jumps to its original, loading older history when it is not loaded yet; a page
 * that was offline recovers every change (joining on while there is more); a long press on a phone
 * shows the actions; markup in edits and quotes stays text.
 */
import type { Browser, Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { describeWithChromium, useReplicaAndChromium } from '../helpers/chromium.js';
import { request, user, type Replica } from '../../dev/harness.js';
import { startRelay } from '../../dev/tcp-relay.js';
import { activeLog, composer, message, openChat, roomReady, screenshot, send, shownMessages } from './pages.js';

/** Points at the message whose text is `text` and presses its action `name` (Edit, Delete, Reply, Add a reaction). */
async function act(page: Page, text: string, name: string): Promise<void> {
  const item = message(page, text);
  await item.hover();
  await item.getByRole('button', { name, exact: true }).click();
}

/** The message item with id `id` in the room in view. */
const byId = (page: Page, id: string) => activeLog(page).locator(`li.msg[data-id="${id}"]`);

const idOf = async (page: Page, text: string) => (await message(page, text).getAttribute('data-id'))!;

/** The reaction chip for `emoji` under message `id`. */
const chip = (page: Page, id: string, emoji: string) => byId(page, id).locator('.reaction', { hasText: emoji });

/** Everything the room in view shows of each delivered message, in page order. */
function logState(page: Page) {
  return activeLog(page)
    .locator('.messages:not(.pending-list) li.msg')
    .evaluateAll((items) =>
      items.map((li) => ({
        id: li.getAttribute('data-id'),
        text: li.querySelector('.msg-text')?.textContent ?? null,
        edited: li.querySelector('.msg-edited') !== null,
        deleted: li.querySelector('.msg-tombstone') !== null,
        quote: li.querySelector('.msg-quote')?.textContent ?? null,
        reactions: [...li.querySelectorAll('.reaction')].map((r) => `${r.textContent} ${r.getAttribute('title')}`),
      })),
    );
}

describeWithChromium('editing, deleting, replying and reacting in Chromium', () => {
  let replica: Replica;
  let browser: Browser;
  useReplicaAndChromium((r, b) => {
    [replica, browser] = [r, b];
  });

  it('shows edits, deletes, replies and reactions live in another page, and after a reload', { timeout: 60_000 }, async () => {
    const alice = await openChat(browser, replica.url, 'alice', 'log');
    const bob = await openChat(browser, replica.url, 'bob', 'log');
    await send(alice.page, 'teh plan is ready');
    await send(alice.page, 'a message to take back');
    await message(bob.page, 'a message to take back').waitFor();
    const planId = await idOf(bob.page, 'teh plan is ready');
    const doomedId = await idOf(bob.page, 'a message to take back');

    // Someone else's message offers react and reply, not edit or delete.
    await message(bob.page, 'teh plan is ready').hover();
    const bobsBar = message(bob.page, 'teh plan is ready').getByRole('toolbar', { name: 'Message actions' });
    expect(await bobsBar.getByRole('button').evaluateAll((buttons) => buttons.map((b) => b.getAttribute('aria-label')))).toEqual(['Add a reaction', 'Reply']);

    // Edit inline: Enter saves; the other page shows the new text, marked edited.
    await act(alice.page, 'teh plan is ready', 'Edit');
    const editor = alice.page.getByRole('textbox', { name: 'Edit message' });
    expect(await editor.inputValue()).toBe('teh plan is ready');
    await editor.fill('the plan is ready');
    await editor.press('Enter');
    await message(bob.page, 'the plan is ready').waitFor();
    expect(await byId(bob.page, planId).locator('.msg-edited').textContent()).toBe('(edited)');
    expect(await byId(bob.page, planId).locator('.msg-edited').getAttribute('title')).toMatch(/^Edited /);

    // Reply: the composer says to what; the reply carries the quote, on both pages.
    await act(bob.page, 'the plan is ready', 'Reply');
    await bob.page.getByText('Replying to alice: the plan is ready').waitFor();
    await send(bob.page, 'great, ship it');
    await bob.page.locator('#reply-bar').waitFor({ state: 'hidden' });
    for (const page of [alice.page, bob.page]) {
      const quote = message(page, 'great, ship it').locator('.msg-quote');
      await quote.waitFor();
      expect(await quote.textContent()).toBe('alicethe plan is ready');
    }

    // React from the picker, then toggle by the chip: counts and who, own reactions pressed.
    await act(bob.page, 'the plan is ready', 'Add a reaction');
    await bob.page.getByRole('button', { name: 'React with 👍' }).click();
    await chip(alice.page, planId, '👍').waitFor();
    expect(await chip(alice.page, planId, '👍').textContent()).toBe('👍1');
    expect(await chip(alice.page, planId, '👍').getAttribute('title')).toBe('bob');
    expect(await chip(alice.page, planId, '👍').getAttribute('aria-pressed')).toBe('false');
    await chip(alice.page, planId, '👍').click();
    await expect.poll(() => chip(bob.page, planId, '👍').textContent()).toBe('👍2');
    expect(await chip(bob.page, planId, '👍').getAttribute('title')).toBe('bob, alice');
    expect(await chip(alice.page, planId, '👍').getAttribute('aria-pressed')).toBe('true');
    await act(alice.page, 'the plan is ready', 'Add a reaction');
    await alice.page.getByRole('button', { name: 'React with 🎉' }).click();
    await chip(bob.page, planId, '🎉').waitFor();
    await chip(bob.page, planId, '👍').click(); // bob takes his back
    await expect.poll(() => chip(alice.page, planId, '👍').getAttribute('title')).toBe('alice');

    // Delete, after the confirm: a tombstone everywhere, with no actions, and its reply says so.
    await act(bob.page, 'a message to take back', 'Reply');
    await send(bob.page, 'replying to the doomed one');
    await message(alice.page, 'replying to the doomed one').locator('.msg-quote').waitFor();
    await act(alice.page, 'a message to take back', 'Delete');
    const dialog = alice.page.getByRole('dialog', { name: 'Delete this message?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await message(alice.page, 'a message to take back').waitFor();
    await act(alice.page, 'a message to take back', 'Delete');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await byId(bob.page, doomedId).locator('.msg-tombstone', { hasText: 'message deleted' }).waitFor();
    expect(await byId(bob.page, doomedId).getByRole('button').count()).toBe(0);
    await message(bob.page, 'replying to the doomed one').locator('.quote-deleted', { hasText: 'message deleted' }).waitFor();
    await screenshot(bob.page, 'room-log-live');

    // All of it after a reload.
    await bob.page.reload();
    await roomReady(bob.page, 'log');
    await message(bob.page, 'the plan is ready').waitFor();
    expect(await byId(bob.page, planId).locator('.msg-edited').count()).toBe(1);
    expect(await chip(bob.page, planId, '👍').textContent()).toBe('👍1');
    expect(await chip(bob.page, planId, '🎉').getAttribute('title')).toBe('alice');
    expect(await byId(bob.page, doomedId).locator('.msg-tombstone').count()).toBe(1);
    expect(await message(bob.page, 'great, ship it').locator('.msg-quote').textContent()).toBe('alicethe plan is ready');

    // A quote jumps to its original.
    await message(bob.page, 'great, ship it').locator('.msg-quote').click();
    await expect.poll(() => byId(bob.page, planId).evaluate((li) => li === li.ownerDocument.activeElement)).toBe(true);

    expect([...alice.problems, ...bob.problems]).toEqual([]);
    await Promise.all([alice.context.close(), bob.context.close()]);
  });

  it('edits the last own message with Up arrow in an empty composer; Escape cancels an edit and a reply', async () => {
    const carol = await openChat(browser, replica.url, 'carol', 'keys');
    await send(carol.page, 'first');
    await send(carol.page, 'secnod');
    await message(carol.page, 'secnod').waitFor();

    await composer(carol.page).press('ArrowUp');
    const editor = carol.page.getByRole('textbox', { name: 'Edit message' });
    expect(await editor.inputValue()).toBe('secnod');
    await editor.fill('changed my mind');
    await editor.press('Escape');
    await editor.waitFor({ state: 'detached' });
    await message(carol.page, 'secnod').waitFor();
    expect(await activeLog(carol.page).locator('.msg-edited').count()).toBe(0);
    await expect.poll(() => composer(carol.page).evaluate((box) => box === box.ownerDocument.activeElement)).toBe(true);

    await composer(carol.page).press('ArrowUp');
    await editor.fill('second');
    await editor.press('Enter');
    await message(carol.page, 'second').locator('.msg-edited').waitFor();

    // Up arrow with a draft moves the caret, not into an edit.
    await composer(carol.page).fill('draft');
    await composer(carol.page).press('ArrowUp');
    expect(await editor.count()).toBe(0);
    await composer(carol.page).fill('');

    await act(carol.page, 'first', 'Reply');
    await carol.page.getByText('Replying to carol: first').waitFor();
    await composer(carol.page).press('Escape');
    await carol.page.locator('#reply-bar').waitFor({ state: 'hidden' });
    await send(carol.page, 'not a reply');
    await message(carol.page, 'not a reply').waitFor();
    expect(await message(carol.page, 'not a reply').locator('.msg-quote').count()).toBe(0);
    expect(carol.problems).toEqual([]);
    await carol.context.close();
  });

  it('jumps to a quoted original that is not loaded yet, loading older history until it is', async () => {
    await replica.store.rooms.ensure('deep');
    const append = (i: number, replyTo?: string) =>
      replica.store.messages.append({ room: 'deep', clientId: `seed-${i}`, author: 'historian', text: `old message ${i}`, ts: Date.now() - (200 - i) * 60_000, ...(replyTo ? { replyTo } : {}) });
    const original = (await append(1)).message;
    for (let i = 2; i < 120; i++) await append(i);
    await append(120, original.id);

    const dan = await openChat(browser, replica.url, 'dan', 'deep');
    const reply = message(dan.page, 'old message 120');
    await reply.waitFor();
    expect(await byId(dan.page, original.id).count()).toBe(0);
    await reply.locator('.msg-quote').click();
    await expect.poll(() => byId(dan.page, original.id).evaluate((li) => li === li.ownerDocument.activeElement), { timeout: 15_000 }).toBe(true);
    expect(await byId(dan.page, original.id).locator('.msg-text').textContent()).toBe('old message 1');
    expect(dan.problems).toEqual([]);
    await dan.context.close();
  });

  it('looks the part in the dark theme: quote, reactions and the action bar', async () => {
    const erin = await openChat(browser, replica.url, 'erin', 'dark-log', { colorScheme: 'dark' });
    await send(erin.page, 'does this read well at night?');
    await act(erin.page, 'does this read well at night?', 'Reply');
    await send(erin.page, 'it does');
    const id = await idOf(erin.page, 'does this read well at night?');
    await act(erin.page, 'does this read well at night?', 'Add a reaction');
    await erin.page.getByRole('button', { name: 'React with 👀' }).click();
    await chip(erin.page, id, '👀').waitFor();
    // The action bar appears over the row without moving it.
    const row = message(erin.page, 'it does');
    await activeLog(erin.page).hover({ position: { x: 5, y: 5 } });
    const before = (await row.boundingBox())!;
    await row.hover();
    await row.getByRole('toolbar').waitFor();
    expect((await row.boundingBox())!.height).toBe(before.height);
    await screenshot(erin.page, 'room-log-dark');
    expect(erin.problems).toEqual([]);
    await erin.context.close();
  });

  it('recovers the changes made while it was offline, and ends with what a connected page shows', { timeout: 60_000 }, async () => {
    const relay = await startRelay(Number(new URL(replica.url).port));
    try {
      const gus = await openChat(browser, replica.url, 'gus', 'away');
      const away = await openChat(browser, `http://127.0.0.1:${relay.port}`, 'hal', 'away');
      const ivy = await user(replica.url, 'ivy');
      await request(ivy.socket, 'room:join', { room: 'away' });
      await send(gus.page, 'to be edited');
      await send(gus.page, 'to be deleted');
      await send(gus.page, 'to be reacted to');
      await message(away.page, 'to be reacted to').waitFor();
      const editId = await idOf(gus.page, 'to be edited');
      const deleteId = await idOf(gus.page, 'to be deleted');
      const reactId = await idOf(gus.page, 'to be reacted to');

      relay.cut();
      await away.page.getByRole('status').filter({ hasText: 'Connection lost' }).waitFor();
      const say = (text: string, replyTo?: string) => request(ivy.socket, 'message:send', { room: 'away', text, clientId: crypto.randomUUID(), ...(replyTo ? { replyTo } : {}) });
      await say('a reply while away', editId);
      await act(gus.page, 'to be edited', 'Edit');
      await gus.page.getByRole('textbox', { name: 'Edit message' }).fill('edited while away');
      await gus.page.getByRole('textbox', { name: 'Edit message' }).press('Enter');
      await act(gus.page, 'to be deleted', 'Delete');
      await gus.page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
      for (const emoji of ['👍', '🎉']) await request(ivy.socket, 'reaction:add', { room: 'away', id: reactId, emoji });
      await request(ivy.socket, 'reaction:remove', { room: 'away', id: reactId, emoji: '👍' });
      await byId(gus.page, deleteId).locator('.msg-tombstone').waitFor();
      await message(gus.page, 'a reply while away').locator('.msg-quote', { hasText: 'edited while away' }).waitFor();
      await chip(gus.page, reactId, '🎉').waitFor();
      await expect.poll(() => chip(gus.page, reactId, '👍').count()).toBe(0);

      relay.restore();
      await message(away.page, 'edited while away').waitFor({ timeout: 15_000 });
      await expect.poll(() => logState(away.page)).toEqual(await logState(gus.page));
      expect((await logState(away.page)).map((m) => m.id)).toContain(deleteId);
      ivy.socket.close();
      expect([...gus.problems, ...away.problems]).toEqual([]);
      await Promise.all([gus.context.close(), away.context.close()]);
    } finally {
      await relay.close();
    }
  });

  it('joins on while a recovery says there is more, until it has every message missed', { timeout: 60_000 }, async () => {
    const relay = await startRelay(Number(new URL(replica.url).port));
    try {
      const away = await openChat(browser, `http://127.0.0.1:${relay.port}`, 'jan', 'flood');
      await send(away.page, 'before the flood');
      await message(away.page, 'before the flood').waitFor();
      relay.cut();
      await away.page.getByRole('status').filter({ hasText: 'Connection lost' }).waitFor();
      // More than one recovery join answers (500): stored straight into the store, as another replica would.
      const missed = 520;
      for (let i = 1; i <= missed; i++) await replica.store.messages.append({ room: 'flood', clientId: `flood-${i}`, author: 'kai', text: `flood ${i}`, ts: Date.now() });
      relay.restore();
      await message(away.page, `flood ${missed}`).waitFor({ timeout: 15_000 });
      const shown = await shownMessages(away.page);
      expect(shown.map((m) => m.text)).toEqual(['before the flood', ...Array.from({ length: missed }, (_, i) => `flood ${i + 1}`)]);
      expect(away.problems).toEqual([]);
      await away.context.close();
    } finally {
      await relay.close();
    }
  });

  it('leaves out a change to a message older than the loaded history, and shows its state once paged in', { timeout: 60_000 }, async () => {
    await replica.store.rooms.ensure('long');
    const first = (await replica.store.messages.append({ room: 'long', clientId: 'long-1', author: 'historian', text: 'old message 1', ts: Date.now() - 200 * 60_000 })).message;
    for (let i = 2; i <= 80; i++) await replica.store.messages.append({ room: 'long', clientId: `long-${i}`, author: 'historian', text: `old message ${i}`, ts: Date.now() - (200 - i) * 60_000 });
    const lou = await openChat(browser, replica.url, 'lou', 'long');
    await message(lou.page, 'old message 80').waitFor();
    const mia = await user(replica.url, 'mia');
    await request(mia.socket, 'room:join', { room: 'long' });
    await request(mia.socket, 'reaction:add', { room: 'long', id: first.id, emoji: '🙏' });
    // A later post, seen after the change (one socket gets the log in order), proves the change came and was left out.
    await request(mia.socket, 'message:send', { room: 'long', text: 'after the reaction', clientId: crypto.randomUUID() });
    await message(lou.page, 'after the reaction').waitFor();
    expect(await byId(lou.page, first.id).count()).toBe(0);
    expect((await shownMessages(lou.page)).length).toBe(51);

    const log = activeLog(lou.page);
    await expect
      .poll(async () => {
        await log.evaluate((el) => (el.scrollTop = 0));
        return byId(lou.page, first.id).count();
      }, { timeout: 15_000 })
      .toBe(1);
    expect(await chip(lou.page, first.id, '🙏').getAttribute('title')).toBe('mia');
    mia.socket.close();
    expect(lou.problems).toEqual([]);
    await lou.context.close();
  });

  it('shows the action bar on a long press on a phone, and hides it on a touch elsewhere', async () => {
    const phone = await openChat(browser, replica.url, 'ned', 'touch', { width: 375, height: 740 });
    await send(phone.page, 'press and hold me');
    await send(phone.page, 'another one');
    const held = message(phone.page, 'press and hold me');
    await held.waitFor();
    const longPress = async () => {
      await held.dispatchEvent('pointerdown', { pointerType: 'touch', isPrimary: true, bubbles: true, clientX: 100, clientY: 100 });
      await phone.page.locator('li.msg.show-actions').waitFor({ state: 'attached' });
      await held.dispatchEvent('pointerup', { pointerType: 'touch', isPrimary: true, bubbles: true });
    };
    await longPress();
    expect(await held.getAttribute('class')).toContain('show-actions');
    await message(phone.page, 'another one').dispatchEvent('pointerdown', { pointerType: 'touch', isPrimary: true, bubbles: true, clientX: 100, clientY: 200 });
    await phone.page.locator('li.msg.show-actions').waitFor({ state: 'detached' });
    await message(phone.page, 'another one').dispatchEvent('pointerup', { pointerType: 'touch', isPrimary: true, bubbles: true });

    await longPress();
    await screenshot(phone.page, 'room-log-phone');
    await held.getByRole('button', { name: 'Edit', exact: true }).click();
    await phone.page.getByRole('textbox', { name: 'Edit message' }).waitFor();
    expect(phone.problems).toEqual([]);
    await phone.context.close();
  });

  it('shows markup in an edit and in a quote as text, and runs none of it', async () => {
    const oz = await openChat(browser, replica.url, 'oz', 'markup');
    const pat = await openChat(browser, replica.url, 'pat', 'markup');
    const payload = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
    await send(oz.page, 'harmless for now');
    await act(oz.page, 'harmless for now', 'Edit');
    await oz.page.getByRole('textbox', { name: 'Edit message' }).fill(payload);
    await oz.page.getByRole('textbox', { name: 'Edit message' }).press('Enter');
    await message(pat.page, payload).waitFor();
    await act(pat.page, payload, 'Reply');
    await send(pat.page, 'quoting it');
    await message(oz.page, 'quoting it').locator('.msg-quote', { hasText: '<img src=x' }).waitFor();
    for (const page of [oz.page, pat.page]) {
      expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
      expect(await activeLog(page).locator('.msg-body img, .msg-body script').count()).toBe(0);
    }
    expect([...oz.problems, ...pat.problems]).toEqual([]);
    await Promise.all([oz.context.close(), pat.context.close()]);
  });

  it('shows a refused change where send errors show', async () => {
    const quin = await openChat(browser, replica.url, 'quin', 'refusals');
    await send(quin.page, 'react to me a lot');
    const id = await idOf(quin.page, 'react to me a lot');
    await act(quin.page, 'react to me a lot', 'Add a reaction');
    await quin.page.getByRole('button', { name: 'React with 👀' }).click();
    await chip(quin.page, id, '👀').waitFor();
    // More clicks at once than the rate limit's burst (30): the ones past it are refused.
    await chip(quin.page, id, '👀').evaluate((button) => {
      for (let i = 0; i < 40; i++) (button as unknown as { click(): void }).click();
    });
    await quin.page.getByRole('alert').filter({ hasText: /^Could not react: / }).waitFor();
    expect(quin.problems).toEqual([]);
    await quin.context.close();
  });
});
