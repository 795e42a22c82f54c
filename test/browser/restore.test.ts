/**
 * The page across a restore: a backup is taken, the room goes on, the replica stops, the older backup
 * is restored and the replica starts again on the same port. The page reconnects by itself, rejoins
 * with its cursor and epoch, is told to resync, and shows exactly the restored history: nothing it held
 * from the history that is gone, nothing twice.
 */
import type { Browser } from 'playwright-core';
import { afterAll, expect, it } from 'vitest';
import { describeWithChromium, useChromium } from '../helpers/chromium.js';
import { tempDir } from '../../dev/harness.js';
import { runOps, startReplicaProcess, type ReplicaProcess } from '../../dev/processes.js';
import { message, openChat, screenshot, send, shownMessages } from './pages.js';

describeWithChromium('the chat page across a restore', () => {
  let browser: Browser;
  let replica: ReplicaProcess | undefined;
  useChromium((launched) => (browser = launched));
  afterAll(() => replica?.stop());

  it('replaces the room with the restored history once it reconnects', { timeout: 60_000 }, async () => {
    const dataDir = tempDir();
    replica = await startReplicaProcess({ DATA_DIR: dataDir });
    const env = { DATA_DIR: dataDir, PORT: new URL(replica.url).port };
    const alice = await openChat(browser, replica.url, 'alice');
    await send(alice.page, 'kept 1');
    await send(alice.page, 'kept 2');
    await message(alice.page, 'kept 2').waitFor();
    const backup = `${tempDir()}/before.tar`;
    expect((await runOps('backup', dataDir, [backup])).code).toBe(0);
    await send(alice.page, 'gone 3');
    await send(alice.page, 'gone 4');
    await message(alice.page, 'gone 4').waitFor();

    await replica.stop();
    replica = undefined;
    await alice.page.getByRole('status').filter({ hasText: 'Connection lost' }).waitFor();
    const restore = await runOps('restore', dataDir, [backup]);
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    replica = await startReplicaProcess(env);

    await alice.page.getByRole('status').filter({ hasText: 'Connection lost' }).waitFor({ state: 'hidden', timeout: 15_000 });
    await expect.poll(async () => (await shownMessages(alice.page)).map((m) => m.text), { timeout: 15_000 }).toEqual(['kept 1', 'kept 2']);
    // The room goes on from the restored history, in both the page and the store.
    await send(alice.page, 'after 3');
    await message(alice.page, 'after 3').waitFor();
    expect(await shownMessages(alice.page)).toEqual([
      { seq: 1, text: 'kept 1' },
      { seq: 2, text: 'kept 2' },
      { seq: 3, text: 'after 3' },
    ]);
    await screenshot(alice.page, 'after-restore');
    expect(alice.problems).toEqual([]);
    await alice.context.close();
  });
});
