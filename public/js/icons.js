// The page's few line icons, drawn as SVG through the DOM (no markup strings, so the CSP holds).
const SVG = 'http://www.w3.org/2000/svg';

const PATHS = {
  react: ['M12 21a9 9 0 1 1 0-18 9 9 0 0 1 0 18z', 'M8 14s1.5 2 4 2 4-2 4-2', 'M9 9.5h.01', 'M15 9.5h.01'],
  reply: ['M9 15l-5-5 5-5', 'M4 10h10a6 6 0 0 1 6 6v3'],
  edit: ['M4 20h4L19 9l-4-4L4 16v4z', 'M13.5 6.5l4 4'],
  delete: ['M4 7h16', 'M9 7V4h6v3', 'M6 7l1 13h10l1-13'],
  lock: ['M6 11h12v10H6z', 'M8.5 11V8a3.5 3.5 0 0 1 7 0v3'],
};

/** The icon `name` (a key of PATHS), hidden from assistive technology: its button carries the label. */
export function icon(name, className = 'icon') {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', className);
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  for (const d of PATHS[name]) {
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}

/** The lock that marks a private room. */
export const lockIcon = (extraClass) => icon('lock', `icon ${extraClass}`);
