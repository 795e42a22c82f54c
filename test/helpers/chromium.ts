/**
 * Real headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core
 * (no browser download). Without it the tests are skipped, loudly; on CI (CI=true) its absence fails
 * the run instead (describeWhen).
 */
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { startReplica, type Replica } from '../../dev/harness.js';
import { describeWhen } from './requirements.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Flags for a quiet, self-contained headless browser: no GPU, no sandbox (CI runs as root), and no
 * background traffic to anything but the server under test.
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches Chromium; Playwright gives each launch a fresh temporary user-data dir and removes it on close. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** `describe(title, fn)` where Chromium is installed; else a loud skip, or on CI a failing test. */
export function describeWithChromium(title: string, fn: () => void): void {
  const missing = fs.existsSync(CHROMIUM_PATH) ? undefined : `Chromium is not installed at ${CHROMIUM_PATH} (apt-get install chromium; .ci/run does)`;
  describeWhen(title, [missing], fn);
}

/** For a browser test file that starts its own servers: one Chromium, launched before its tests (handed to `use`) and closed after them. */
export function useChromium(use: (browser: Browser) => void): void {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
    use(browser);
  });
  afterAll(() => browser?.close());
}

/**
 * For a browser test file: one replica and one Chromium, started before its tests (handed to `use`)
 * and stopped after them.
 */
export function useReplicaAndChromium(use: (replica: Replica, browser: Browser) => void): void {
  let replica: Replica | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    [replica, browser] = await Promise.all([startReplica(), launchChromium()]);
    use(replica, browser);
  });
  afterAll(async () => {
    await browser?.close();
    await replica?.stop();
  });
}
