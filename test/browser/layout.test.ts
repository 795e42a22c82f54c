/**
 * How the page looks in Chromium: /demo panels keep the desktop layout on a wide screen, the hover
 * time of a continued message stays on one line without moving the row, and the dark theme follows
 * the system's preference with readable contrast.
 */
import type { Browser, FrameLocator, Locator } from 'playwright-core';
import { expect, it } from 'vitest';
import { describeWithChromium, useReplicaAndChromium } from '../helpers/chromium.js';
import type { Replica } from '../../dev/harness.js';
import { activeLog, message, openChat, openPage, screenshot, send } from './pages.js';

// Page-side code below runs in the browser; these are the few DOM shapes it touches.
declare function getComputedStyle(element: unknown): { backgroundColor: string; color: string };
declare const document: { documentElement: unknown; querySelector(selector: string): unknown };

/** WCAG relative luminance of a computed `rgb(r, g, b)` colour. */
function luminance(rgb: string): number {
  const channels = rgb.match(/\d+(\.\d+)?/g)!.slice(0, 3).map(Number);
  const [r, g, b] = channels.map((c) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light! + 0.05) / (dark! + 0.05);
}

/** Colours of the page's background, body text and muted text (the composer's hint). */
function pageColours(target: Locator) {
  return target.evaluate(() => ({
    background: getComputedStyle(document.documentElement).backgroundColor,
    text: getComputedStyle(document.documentElement).color,
    muted: getComputedStyle(document.querySelector('.hint')).color,
  }));
}

async function signInFrames(frames: FrameLocator[]): Promise<void> {
  // Each panel offers its own name already.
  for (const frame of frames) await frame.getByRole('button', { name: 'Sign in' }).click();
  for (const frame of frames) await frame.locator('#member-list li').first().waitFor({ state: 'attached' });
}

describeWithChromium('the page layout and themes in Chromium', () => {
  let replica: Replica;
  let browser: Browser;
  useReplicaAndChromium((r, b) => {
    [replica, browser] = [r, b];
  });

  it('/demo on a wide screen gives every panel the desktop layout, with its room list', async () => {
    const demo = await openPage(browser, `${replica.url}/demo`, { width: 1600, height: 900 });
    const panels = demo.page.locator('iframe');
    const frames = [0, 1, 2].map((i) => demo.page.frameLocator('iframe').nth(i));
    const showRoomLists = async (shown: FrameLocator[]) => {
      for (const frame of shown) {
        await frame.locator('#sidebar').waitFor({ state: 'visible' });
        await frame.locator('#room-list').getByRole('link', { name: /^#general,/ }).waitFor({ state: 'visible' });
        expect(await frame.getByRole('button', { name: 'Open the room list' }).isVisible()).toBe(false);
      }
    };
    await expect.poll(() => panels.count()).toBe(2);
    await signInFrames(frames.slice(0, 2));
    await showRoomLists(frames.slice(0, 2));
    // A third panel does not squeeze the others into the phone layout: it takes the next row.
    await demo.page.getByRole('button', { name: 'Add user' }).click();
    await expect.poll(() => panels.count()).toBe(3);
    await signInFrames(frames.slice(2));
    await showRoomLists(frames);
    await screenshot(demo.page, 'demo-wide');
    expect(demo.problems).toEqual([]);
    await demo.context.close();
  });

  it('shows a continued message\'s time on hover on one line, without moving the row', async () => {
    const uma = await openChat(browser, replica.url, 'uma', 'hover');
    await send(uma.page, 'first line of a group');
    await send(uma.page, 'second');
    const second = message(uma.page, 'second');
    await second.waitFor();
    expect(await second.getAttribute('class')).toContain('continued');
    // Away from the row, then on it.
    await activeLog(uma.page).hover({ position: { x: 5, y: 5 } });
    const before = (await second.boundingBox())!;
    await second.hover();
    const time = second.locator('.gutter-time');
    await time.waitFor({ state: 'visible' });
    const after = (await second.boundingBox())!;
    const timeBox = (await time.boundingBox())!;
    const textBox = (await second.locator('.msg-content').boundingBox())!;
    expect(after.height).toBe(before.height);
    // One line: no taller than the message's own line of text.
    expect(timeBox.height).toBeLessThanOrEqual(textBox.height);
    expect(uma.problems).toEqual([]);
    await uma.context.close();
  });

  it('follows a dark system preference, with readable text, in the chat and on /demo', async () => {
    const light = await openChat(browser, replica.url, 'vic', 'themes');
    const dark = await openChat(browser, replica.url, 'wes', 'themes', { colorScheme: 'dark' });
    const lightColours = await pageColours(light.page.locator('html'));
    const darkColours = await pageColours(dark.page.locator('html'));
    expect(luminance(lightColours.background)).toBeGreaterThan(0.8);
    expect(luminance(darkColours.background)).toBeLessThan(0.05);
    for (const colours of [lightColours, darkColours]) {
      expect(contrast(colours.text, colours.background)).toBeGreaterThanOrEqual(7);
      expect(contrast(colours.muted, colours.background)).toBeGreaterThanOrEqual(4.5);
    }
    await send(dark.page, 'good evening');
    await message(light.page, 'good evening').waitFor();
    await screenshot(dark.page, 'chat-dark');

    const demo = await openPage(browser, `${replica.url}/demo`, { width: 1600, height: 900, colorScheme: 'dark' });
    const frames = [0, 1].map((i) => demo.page.frameLocator('iframe').nth(i));
    await signInFrames(frames);
    const demoBackground = await demo.page.locator('body').evaluate(() => getComputedStyle(document.querySelector('body')).backgroundColor);
    expect(luminance(demoBackground)).toBeLessThan(0.05);
    for (const frame of frames) {
      const colours = await pageColours(frame.locator('html'));
      expect(luminance(colours.background)).toBeLessThan(0.05);
    }
    await screenshot(demo.page, 'demo-dark');
    expect([...light.problems, ...dark.problems, ...demo.problems]).toEqual([]);
    await Promise.all([light.context.close(), dark.context.close(), demo.context.close()]);
  });
});
