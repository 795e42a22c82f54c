/**
 * Driving the chat page in Chromium the way a person does: by labels, roles and visible text.
 * Screenshots of the main states go to test-results/browser/ (not committed).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const ARTIFACTS_DIR = path.resolve('test-results/browser');

/** How long a step may wait for the page: generous for a loaded 2-core machine, far under the test timeout. */
const STEP_TIMEOUT_MS = 10_000;

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS_DIR, `${name}.png`), animations: 'disabled' });
}

export interface ChatPage {
  page: Page;
  context: BrowserContext;
  /** Uncaught errors and Content-Security-Policy violations seen so far. */
  problems: string[];
}

export interface PageOptions {
  width?: number;
  height?: number;
  /** The system's colour preference the page sees (prefers-color-scheme). @default 'light' */
  colorScheme?: 'light' | 'dark';
}

/** A fresh browser context (its own cookies) on `url`, with problems recorded. */
export async function openPage(browser: Browser, url: string, options: PageOptions = {}): Promise<ChatPage> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: options.height ?? 800 }, colorScheme: options.colorScheme ?? 'light' });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
  });
  await page.goto(url);
  return { page, context, problems };
}

/** Signs in on the sign-in screen and waits for the chat. */
export async function signIn(page: Page, name: string, password?: string): Promise<void> {
  await page.getByLabel('Your name', { exact: true }).fill(name);
  if (password !== undefined) await page.getByLabel(/^Password/).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#app').waitFor({ state: 'visible' });
}

/** A signed-in user on `/r/<room>`, with the room's history loaded. */
export async function openChat(browser: Browser, baseUrl: string, name: string, room = 'general', options: PageOptions = {}): Promise<ChatPage> {
  const chat = await openPage(browser, `${baseUrl}/r/${room}`, options);
  await signIn(chat.page, name);
  await roomReady(chat.page, room);
  return chat;
}

/** Waits until `room` is in view and its join has answered (the member list, maybe in a closed drawer, holds someone). */
export async function roomReady(page: Page, room: string): Promise<void> {
  await page.getByRole('heading', { name: `# ${room}` }).waitFor();
  await page.locator('#member-list li').first().waitFor({ state: 'attached' });
}

/** The link to `room` in the room list. */
export const roomLink = (page: Page, room: string) => page.locator('#room-list').getByRole('link', { name: new RegExp(`^#${room},`) });

/** The message composer. */
export const composer = (page: Page) => page.getByRole('textbox', { name: 'Message', exact: true });

/** The system lines (joins and leaves) in the room in view. */
export const systemLines = (page: Page) => activeLog(page).locator('li.system > span');

/** Types `text` into the composer and sends it with Enter. */
export async function send(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press('Enter');
}

/** The visible log of the room in view. */
export const activeLog = (page: Page) => page.locator('.timeline:not([hidden])');

/** The delivered message (not a pending one) whose text is exactly `text`. */
export const message = (page: Page, text: string) =>
  activeLog(page).locator('.messages:not(.pending-list) li.msg').filter({ has: page.locator('.msg-text', { hasText: new RegExp(`^${escapeRegExp(text)}$`) }) });

/** The texts of the delivered messages in the room in view, in page order, with their seqs ('' for a deleted one). */
export function shownMessages(page: Page): Promise<{ seq: number; text: string }[]> {
  return activeLog(page)
    .locator('.messages:not(.pending-list) li.msg')
    .evaluateAll((items) => items.map((li) => ({ seq: Number(li.getAttribute('data-seq')), text: li.querySelector('.msg-text')?.textContent ?? '' })));
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
