/**
 * A replica process restarting mid-conversation (same data directory, same port), watched from two
 * pages in Chromium: the pages say they are offline, queue what is sent meanwhile, reconnect by
 * themselves, and end with every message exactly once, in order. While the server is away nobody's
 * presence is shown as known; once it is back, what the pages show is fresh.
 */
import type { Browser } from 'playwright-core';
import { afterAll, expect, it } from 'vitest';
import { describeWithChromium, useChromium } from '../helpers/chromium.js';
import { request, tempDir, user } from '../../dev/harness.js';
import { startReplicaProcess, type ReplicaProcess } from '../../dev/processes.js';
import { message, openChat, roomLink, screenshot, send, shownMessages } from './pages.js';

describeWithChromium('the chat page across a server restart', () => {
  let browser: Browser;
  let replica: ReplicaProcess | undefined;
  useChromium((launched) => (browser = launched));
  afterAll(() => replica?.stop());

  it('survives the restart with no lost or repeated messages, and delivers offline sends once', { timeout: 60_000 }, async () => {
    const dataDir = tempDir();
    replica = await startReplicaProcess({ DATA_DIR: dataDir });
    // The restarted replica listens where the pages expect it: the same port, the same data.
    const env = { DATA_DIR: dataDir, PORT: new URL(replica.url).port };
    const alice = await openChat(browser, replica.url, 'alice');
    const bob = await openChat(browser, replica.url, 'bob');
    await send(alice.page, 'before 1');
    await send(bob.page, 'before 2');
    await message(alice.page, 'before 2').waitFor();

    await replica.stop();
    replica = undefined;
    for (const { page } of [alice, bob]) await page.getByRole('status').filter({ hasText: 'Connection lost' }).waitFor();
    await send(alice.page, 'sent while offline 1');
    await send(alice.page, 'sent while offline 2');
    await alice.page.locator('.pending-list li').filter({ hasText: 'Waiting for the connection' }).nth(1).waitFor();
    await screenshot(alice.page, 'offline-queued');

    // The pages stay cut off while the replica comes back and someone else talks, so what carol says
    // can only reach them through sinceSeq when they rejoin.
    await Promise.all([alice.context.setOffline(true), bob.context.setOffline(true)]);
    replica = await startReplicaProcess(env);
    const carol = await user(replica.url, 'carol');
    await request(carol.socket, 'room:join', { room: 'general' });
    for (const text of ['while you were away 1', 'while you were away 2']) {
      const ack = await request(carol.socket, 'message:send', { room: 'general', text, clientId: text.replaceAll(' ', '-') });
      expect(ack.ok).toBe(true);
    }
    for (const { page } of [alice, bob]) expect(await page.getByRole('status').textContent()).toContain('Connection lost');
    await Promise.all([alice.context.setOffline(false), bob.context.setOffline(false)]);

    const expected = ['before 1', 'before 2', 'sent while offline 1', 'sent while offline 2', 'while you were away 1', 'while you were away 2'];
    for (const { page } of [alice, bob]) {
      await page.getByRole('status').filter({ hasText: 'Connection lost' }).waitFor({ state: 'hidden', timeout: 15_000 });
      await page.locator('#me-status', { hasText: 'online' }).waitFor();
      await expect.poll(async () => (await shownMessages(page)).length, { timeout: 15_000 }).toBe(expected.length);
    }
    await send(bob.page, 'after');
    await message(alice.page, 'after').waitFor();
    expect(await alice.page.locator('.pending-list li').count()).toBe(0);

    const atAlice = await shownMessages(alice.page);
    const atBob = await shownMessages(bob.page);
    expect(atBob).toEqual(atAlice);
    expect(atAlice.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect([...atAlice.map((m) => m.text)].sort()).toEqual([...expected, 'after'].sort());
    // Alice's queued messages keep her order; the server holds each once.
    const texts = atAlice.map((m) => m.text);
    expect(texts.indexOf('sent while offline 1')).toBeLessThan(texts.indexOf('sent while offline 2'));
    const history = await carol.browser.request<{ messages: { text: string }[] }>('GET', '/api/rooms/general/messages?limit=100');
    expect(history.body.messages.map((m) => m.text).filter((t) => t.startsWith('sent while offline'))).toEqual(['sent while offline 1', 'sent while offline 2']);
    await screenshot(bob.page, 'after-restart');
    expect([...alice.problems, ...bob.problems]).toEqual([]);
    carol.socket.close();
    await Promise.all([alice.context.close(), bob.context.close()]);
    await replica.stop();
    replica = undefined;
  });

  it('shows presence as unknown while the server is away, and fresh once it is back', { timeout: 90_000 }, async () => {
    const dataDir = tempDir();
    replica = await startReplicaProcess({ DATA_DIR: dataDir });
    const env = { DATA_DIR: dataDir, PORT: new URL(replica.url).port };
    const rita = await openChat(browser, replica.url, 'rita', 'presence');
    const sam = await openChat(browser, replica.url, 'sam', 'presence');
    await rita.page.getByRole('button', { name: 'Add sam as a friend' }).click();
    const samFriend = rita.page.locator('#friend-list li[data-friend="sam"]');
    const members = rita.page.locator('#member-list');
    await samFriend.locator('.dot.online').waitFor();
    await members.locator('li[data-member="sam"]').waitFor();
    expect(await rita.page.locator('#room-online').textContent()).toBe('2');

    await replica.stop();
    replica = undefined;
    await rita.page.getByRole('status').filter({ hasText: 'Connection lost' }).waitFor();
    const samDot = samFriend.getByRole('img');
    expect(await samDot.getAttribute('aria-label')).toBe('status unknown');
    expect(await samDot.getAttribute('title')).toMatch(/not known/i);
    expect(await samDot.getAttribute('class')).toContain('unknown');
    expect(await members.locator('.dot.online').count()).toBe(0);
    expect(await members.locator('.dot.unknown').count()).toBe(2);
    expect(await members.getByRole('img', { name: 'status unknown' }).count()).toBe(2);
    expect(await rita.page.locator('#room-online').textContent()).toBe('?');
    await rita.page.getByRole('button', { name: /^Members: \? online\b.*not known until the server answers$/ }).waitFor();
    await roomLink(rita.page, 'presence').and(rita.page.getByRole('link', { name: '#presence, online unknown' })).waitFor();
    await screenshot(rita.page, 'presence-unknown');

    // Sam goes away while the server is down: only fresh state can say so.
    await sam.context.close();
    replica = await startReplicaProcess(env);
    await samFriend.locator('.dot.offline').waitFor({ timeout: 20_000 });
    expect(await samFriend.getByRole('img').getAttribute('aria-label')).toBe('offline');
    await members.locator('li[data-member="sam"]').waitFor({ state: 'detached' });
    expect(await members.locator('.dot.unknown').count()).toBe(0);
    expect(await members.locator('.dot.online').count()).toBe(1);
    expect(await rita.page.locator('#room-online').textContent()).toBe('1');
    await rita.page.locator('#room-list').getByRole('link', { name: '#presence, 1 online' }).waitFor();
    expect(rita.problems).toEqual([]);
    await rita.context.close();
  });
});
