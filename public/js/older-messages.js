// Paging back through a room's history: the next older page (GET /api/rooms/:room/messages) goes on
// top of its timeline, and pages keep coming while the log is too short to scroll to its top.
import { api } from './api.js';
import { learnUser } from './people.js';

const HISTORY_PAGE = 50;
/** The history route's largest page: what a jump to a message far back asks for. */
const LONGEST_PAGE = 100;

/**
 * Loads the next older page (of `size` messages); while one is loading, the same load. Resolves to
 * whether a page came.
 */
export function loadOlder(room, size = HISTORY_PAGE) {
  const { timeline } = room;
  if (!timeline.loaded || !timeline.hasMore || timeline.oldestSeq === undefined) return Promise.resolve(false);
  timeline.olderLoad ??= loadPage(room, size).finally(() => {
    timeline.olderLoad = undefined;
    if (timeline.wantsOlder()) void loadOlder(room);
  });
  return timeline.olderLoad;
}

async function loadPage(room, size) {
  const { timeline } = room;
  timeline.setLoadingOlder(true);
  const { generation } = timeline;
  try {
    const page = await api('GET', `/api/rooms/${encodeURIComponent(room.name)}/messages?before=${timeline.oldestSeq}&limit=${size}`);
    // Asked of the history the timeline held before a resync replaced it: not this one's.
    if (timeline.generation !== generation) return false;
    page.messages.forEach((m) => learnUser(m.user));
    timeline.addOlder(page.messages, page.hasMore);
    return true;
  } catch {
    timeline.setLoadingOlder(false); // the next scroll to the top tries again
    return false;
  }
}

/**
 * Loads older pages until message `id` is loaded: with its `seq` known (a search result), in pages
 * just long enough to reach it, up to the route's longest; false when the history ends (or fails) first.
 */
export async function loadUntilLoaded(room, id, seq) {
  while (!room.timeline.get(id)) {
    const distance = seq === undefined ? 0 : (room.timeline.oldestSeq ?? seq) - seq;
    const size = Math.min(LONGEST_PAGE, Math.max(HISTORY_PAGE, distance + 1));
    if (!room.timeline.hasMore || !(await loadOlder(room, size))) return false;
  }
  return true;
}
