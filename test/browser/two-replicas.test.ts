/**
 * Mentions and read positions in Chromium across two replicas: two in-process replicas over Redis on
 * one MongoDB (the wire-protocol stand-in here, a real server with MONGO_URL), one user signed in on
 * each with the same password-protected name, another user posting on the second replica. The mention
 * is counted in both of the user's browsers, and reading it in one clears both badges, live: the
 * read position crosses replicas through the store and the echo of `room:read` through the broker.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startReplica, type Replica } from '../../dev/harness.js';
import { startTestMongo, type TestMongo } from '../../dev/mongo.js';
import { describeWithChromium, launchChromium } from '../helpers/chromium.js';
import { describeWhen, missingService } from '../helpers/requirements.js';
import { message, openChat, openPage, roomLink, roomReady, send, signIn, type ChatPage } from './pages.js';

/** The badges of room `room`'s entry in the room list: the mention count (`@n`), then the unread count. */
const badgesOf = (chat: ChatPage, room: string) => chat.page.locator(`#room-list li[data-room="${room}"] .badge`).allTextContents();

const redis = await missingService('Redis', 6379);

describeWithChromium('two replicas in Chromium', () => {
  describeWhen('over Redis', [redis], () => {
    let mongo: TestMongo;
    let replicas: Replica[];
    let browser: Browser;
    beforeAll(async () => {
      mongo = await startTestMongo();
      const env = { MONGO_URL: mongo.databaseUrl(), REDIS_URL: 'redis://127.0.0.1:6379' };
      [replicas, browser] = await Promise.all([Promise.all([startReplica({ env }), startReplica({ env })]), launchChromium()]);
    }, 30_000);
    afterAll(async () => {
      await browser?.close();
      await Promise.all(replicas?.map((r) => r.stop()) ?? []);
      await mongo?.close();
    });

    it('counts a mention in both browsers of the mentioned user, and a read in one clears both', { timeout: 60_000 }, async () => {
      const [a, b] = replicas as [Replica, Replica];
      const laptop = await openPage(browser, `${a.url}/r/general`);
      await signIn(laptop.page, 'roamer', 'correct horse battery');
      await roomReady(laptop.page, 'general');
      const phone = await openPage(browser, `${b.url}/r/general`);
      await signIn(phone.page, 'roamer', 'correct horse battery');
      await roomReady(phone.page, 'general');
      // Both devices have read #general once (its unread count starts there) and move on to another room.
      for (const device of [laptop, phone]) {
        await device.page.getByLabel('Join or create a room').fill('elsewhere');
        await device.page.getByLabel('Join or create a room').press('Enter');
        await roomReady(device.page, 'elsewhere');
      }

      const caller = await openChat(browser, b.url, 'caller');
      await send(caller.page, 'are you there, @roamer?');
      await message(caller.page, 'are you there, @roamer?').waitFor();
      for (const device of [laptop, phone]) await expect.poll(() => badgesOf(device, 'general')).toEqual(['@1', '1']);

      await roomLink(laptop.page, 'general').click();
      await message(laptop.page, 'are you there, @roamer?').waitFor();
      for (const device of [laptop, phone]) await expect.poll(() => badgesOf(device, 'general')).toEqual([]);
      // And the phone's server agrees: a reload there lists #general read.
      await phone.page.reload();
      await roomReady(phone.page, 'elsewhere');
      await roomLink(phone.page, 'general').waitFor();
      expect(await badgesOf(phone, 'general')).toEqual([]);
      expect([...laptop.problems, ...phone.problems, ...caller.problems]).toEqual([]);
      await Promise.all([laptop.context.close(), phone.context.close(), caller.context.close()]);
    });
  });
});
