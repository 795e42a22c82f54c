// On narrow screens the room list and the member list slide over the chat; on wide ones the member
// list is a column that can be hidden. Escape or the backdrop closes an open drawer.

const WIDE = window.matchMedia('(min-width: 1100px)');

export function setUpDrawers() {
  const app = document.getElementById('app');
  const scrim = document.getElementById('scrim');
  const sidebarToggle = document.getElementById('open-sidebar');
  const membersToggle = document.getElementById('toggle-members');

  const sync = () => {
    const open = app.classList.contains('sidebar-open') || (app.classList.contains('members-open') && !WIDE.matches);
    scrim.hidden = !open;
    sidebarToggle.setAttribute('aria-expanded', String(app.classList.contains('sidebar-open')));
    membersToggle.setAttribute('aria-expanded', String(membersShown()));
  };
  const membersShown = () => (WIDE.matches ? !app.classList.contains('members-hidden') : app.classList.contains('members-open'));

  sidebarToggle.addEventListener('click', () => {
    app.classList.toggle('sidebar-open');
    app.classList.remove('members-open');
    sync();
  });
  membersToggle.addEventListener('click', () => {
    if (WIDE.matches) app.classList.toggle('members-hidden');
    else app.classList.toggle('members-open');
    app.classList.remove('sidebar-open');
    sync();
  });
  document.getElementById('close-members').addEventListener('click', () => {
    if (WIDE.matches) app.classList.add('members-hidden');
    app.classList.remove('members-open');
    sync();
    membersToggle.focus();
  });
  const closeAll = () => {
    app.classList.remove('sidebar-open', 'members-open');
    sync();
  };
  for (const node of document.querySelectorAll('[data-close-drawer]')) node.addEventListener('click', closeAll);
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !document.querySelector('dialog[open]')) closeAll();
  });
  WIDE.addEventListener('change', sync);
  sync();
  return { closeAll };
}
