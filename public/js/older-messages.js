// Paging back through a room's history: the next older page (GET /api/rooms/:room/messages) goes on
// top of its timeline, and pages keep coming while the log is too short to scroll to its top.
import { api } from './api.js';
import { learnUser } from './people.js';

const HISTORY_PAGE = 50;

/** @param {{ name: string, timeline: import('./timeline.js').Timeline }} room */
export async function loadOlder(room) {
  const { timeline } = room;
  if (!timeline.loaded || !timeline.hasMore || timeline.loadingOlder || timeline.oldestSeq === undefined) return;
  timeline.setLoadingOlder(true);
  try {
    const page = await api('GET', `/api/rooms/${encodeURIComponent(room.name)}/messages?before=${timeline.oldestSeq}&limit=${HISTORY_PAGE}`);
    page.messages.forEach((m) => learnUser(m.user));
    timeline.addOlder(page.messages, page.hasMore);
    if (timeline.wantsOlder()) void loadOlder(room);
  } catch {
    timeline.setLoadingOlder(false); // the next scroll to the top tries again
  }
}
