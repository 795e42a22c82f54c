import { describe, expect, it } from 'vitest';
import { dmRoomName, isDmRoomName } from '../../src/chat/dm.js';
import { roomName } from '../../src/chat/schemas.js';
import { highlightRanges, searchTerms } from '../../src/search/terms.js';

describe('search words', () => {
  it('folds case and diacritics, splits on anything but letters and digits, once each', () => {
    expect(searchTerms('Café au LAIT, café! naïve—résumé 42x')).toEqual(['cafe', 'au', 'lait', 'naive', 'resume', '42x']);
    expect(searchTerms('  ...  ')).toEqual([]);
  });

  it('marks every word a term starts, by offsets into the text as it is', () => {
    const text = 'Deployment done; the DEPLOY went fine. Déploiement ok';
    const marked = highlightRanges(text, ['deploy', 'de']).map(([start, end]) => text.slice(start, end));
    expect(marked).toEqual(['Deployment', 'DEPLOY', 'Déploiement']);
    expect(highlightRanges('nothing here', ['zzz'])).toEqual([]);
  });
});

describe('DM room names', () => {
  it('name one room per pair, whatever the order or case, as a valid room name that says nothing of the pair', () => {
    const name = dmRoomName('Alice', 'bob');
    expect(dmRoomName('BOB', 'alice')).toBe(name);
    expect(dmRoomName('alice', 'carol')).not.toBe(name);
    expect(roomName.parse(name)).toBe(name);
    expect(isDmRoomName(name)).toBe(true);
    expect(name).not.toMatch(/alice|bob/i);
    expect(isDmRoomName('general')).toBe(false);
  });
});
