/**
 * The page and the server name rooms by one rule: the page's own copy (public/js/env.js, which has no
 * build step to share the server's code) must accept, normalise and refuse exactly what the server's
 * `roomName` schema does, and open the room the server always creates. The page's module is imported
 * as the browser runs it.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_ROOM } from '../../src/app/app.js';
import { roomName } from '../../src/chat/schemas.js';

/** What the test uses of public/js/env.js. */
interface PageEnv {
  DEFAULT_ROOM: string;
  normalizeRoom(raw: string): string | null;
  roomFromLocation(): string;
}

/** The server's answer for `raw`: the room it means, or null when refused. */
function serverRoom(raw: string): string | null {
  const parsed = roomName.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

// Room characters and their neighbours: upper case (and a Kelvin sign, which lower-cases to "k"),
// white space that trimming removes (no-break space) and that it does not (zero-width space), and
// characters the rule refuses.
const CHARACTERS = ['a', 'k', 'z', 'A', 'Z', '0', '9', '-', '_', ' ', '\t', '\n', '\u00a0', '\u200b', '\u212a', 'İ', 'é', '.', '/', '#', '%'];
const character = fc.constantFrom(...CHARACTERS);
const roomLike = fc.oneof(
  fc.string({ unit: character, maxLength: 12 }),
  // Around the 64-character limit, with and without surrounding space.
  fc.tuple(fc.constantFrom(63, 64, 65), fc.constantFrom('a', 'A', '-'), fc.constantFrom('', ' ', '\u00a0')).map(([n, c, pad]) => pad + c.repeat(n) + pad),
);

describe("the page's room rule", () => {
  let page: PageEnv;

  beforeAll(async () => {
    // env.js reads where the page lives when it loads; the chat page lives at /.
    vi.stubGlobal('location', new URL('http://chorus.test/'));
    // A URL, not a literal path: the page's modules are plain browser JavaScript without type declarations.
    page = (await import(new URL('../../public/js/env.js', import.meta.url).href)) as PageEnv;
  });

  afterAll(() => {
    vi.unstubAllGlobals();
  });

  it("opens the room the server always creates", () => {
    expect(page.DEFAULT_ROOM).toBe(DEFAULT_ROOM);
    expect(page.roomFromLocation()).toBe(DEFAULT_ROOM);
    expect(serverRoom(page.DEFAULT_ROOM)).toBe(DEFAULT_ROOM);
  });

  it("accepts, normalises and refuses exactly the names the server's schema does", () => {
    for (const example of ['general', ' Dev-Ops_2 ', '', 'a b', '\u212aitchen', 'x'.repeat(64), 'x'.repeat(65)]) {
      expect(page.normalizeRoom(example), JSON.stringify(example)).toBe(serverRoom(example));
    }
    fc.assert(
      fc.property(roomLike, (raw) => {
        expect(page.normalizeRoom(raw)).toBe(serverRoom(raw));
      }),
      { numRuns: 2000 },
    );
  });
});
