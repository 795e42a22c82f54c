/**
 * A deploy as a person in Chromium sees it: two replica processes over Redis behind haproxy
 * (scripts/cluster), and the replica serving the page is told SIGTERM. It drains: the page's socket is
 * closed, and the page reconnects through the proxy to the other replica by itself, without ever
 * showing the "Connection lost" banner or "offline"; then it sends and receives as before.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AFFINITY_COOKIE } from '../../scripts/cluster/haproxy-config.js';
import { startCluster, type Cluster } from '../../scripts/cluster/launch-cluster.js';
import { startTestMongo, type TestMongo } from '../../dev/mongo.js';
import { describeWithChromium, launchChromium } from '../helpers/chromium.js';
import { describeWhen, missingProgram, missingService } from '../helpers/requirements.js';
import { message, openChat, send } from './pages.js';

const needs = [missingProgram('haproxy', 'haproxy'), await missingService('Redis', 6379)];

/** Records in `window.connectionSaid` everything the banner and the status under the name say from now on. */
const WATCH_CONNECTION_NOTICES = `(() => {
  const said = (window.connectionSaid = []);
  const banner = document.getElementById('banner');
  const status = document.getElementById('me-status');
  new MutationObserver(() => {
    if (!banner.hidden) said.push('banner: ' + banner.textContent);
    if (status.textContent !== 'online') said.push('status: ' + status.textContent);
  }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
})()`;

describeWithChromium('a replica draining under the page', () => {
  describeWhen('behind haproxy over Redis', needs, () => {
    let mongo: TestMongo;
    let cluster: Cluster;
    let browser: Browser;
    beforeAll(async () => {
      mongo = await startTestMongo();
      [cluster, browser] = await Promise.all([startCluster({ replicas: 2, broker: 'redis', mongoUrl: mongo.databaseUrl() }), launchChromium()]);
    }, 30_000);
    afterAll(async () => {
      await browser?.close();
      await cluster?.stop();
      await mongo?.close();
    });

    it('moves the page to the other replica without showing an error', { timeout: 60_000 }, async () => {
      const alice = await openChat(browser, cluster.url, 'alice');
      const bob = await openChat(browser, cluster.url, 'bob');
      await send(alice.page, 'before the deploy');
      await message(bob.page, 'before the deploy').waitFor();
      const replicaOf = async (chat: typeof alice) => (await chat.context.cookies()).find((c) => c.name === AFFINITY_COOKIE)?.value;
      const served = await replicaOf(alice);
      const replica = cluster.replicas.find((r) => r.name === served)!;
      expect(replica).toBeDefined();

      await alice.page.evaluate(WATCH_CONNECTION_NOTICES);
      const opened = alice.page.waitForEvent('websocket', { predicate: (ws) => ws.url().includes('/socket.io/') });

      expect(await replica.process.stop('SIGTERM')).toBe(0);
      await opened;
      await send(alice.page, 'after the deploy');
      await message(bob.page, 'after the deploy').waitFor();
      await send(bob.page, 'still here');
      await message(alice.page, 'still here').waitFor();
      expect(await alice.page.locator('.pending-list li').count()).toBe(0);

      expect(await alice.page.evaluate('window.connectionSaid')).toEqual([]);
      expect(await alice.page.locator('#banner').isHidden()).toBe(true);
      expect([...alice.problems, ...bob.problems]).toEqual([]);
      await Promise.all([alice.context.close(), bob.context.close()]);
    });
  });
});
