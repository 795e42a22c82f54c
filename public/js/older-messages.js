// Paging back through a room's history: the next older page (GET /api/rooms/:room/messages) goes on
// top of its timeline, and pages keep coming while the log is too short to scroll to its top.
import { api } from './api.js';
import { learnUser } from './people.js';

const HISTORY_PAGE = 50;

/** Loads the next older page; while one is loading, the same load. Resolves to whether a page came. */
export function loadOlder(room) {
  const { timeline } = room;
  if (!timeline.loaded || !timeline.hasMore || timeline.oldestSeq === undefined) return Promise.resolve(false);
  timeline.olderLoad ??= loadPage(room).finally(() => {
    timeline.olderLoad = undefined;
    if (timeline.wantsOlder()) void loadOlder(room);
  });
  return timeline.olderLoad;
}

async function loadPage(room) {
  const { timeline } = room;
  timeline.setLoadingOlder(true);
  try {
    const page = await api('GET', `/api/rooms/${encodeURIComponent(room.name)}/messages?before=${timeline.oldestSeq}&limit=${HISTORY_PAGE}`);
    page.messages.forEach((m) => learnUser(m.user));
    timeline.addOlder(page.messages, page.hasMore);
    return true;
  } catch {
    timeline.setLoadingOlder(false); // the next scroll to the top tries again
    return false;
  }
}

/** Loads older pages until message `id` is loaded; false when the history ends (or fails) first. */
export async function loadUntilLoaded(room, id) {
  while (!room.timeline.get(id)) {
    if (!room.timeline.hasMore || !(await loadOlder(room))) return false;
  }
  return true;
}
