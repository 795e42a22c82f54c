import { readdirSync } from 'node:fs';
import path from 'node:path';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const SRC_FOLDERS = readdirSync(path.join(import.meta.dirname, 'src'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);
const allBut = (...allowed) => SRC_FOLDERS.filter((folder) => !allowed.includes(folder));

/**
 * The layers of src/: data flows up, crdt ← replication ← presence, friends ← realtime, http ← app,
 * and an import the other way (a back-arrow) fails the lint. Each entry names the folders of src/ that
 * its folders must not import; src/app, which wires everything, imports any of src/, and a new folder
 * must be given a layer here.
 */
const LAYERS = [
  {
    folders: ['replication'],
    forbidden: allBut('replication', 'crdt'),
    why: 'replication sits on src/crdt alone; what it needs from above comes in through a port (e.g. peer-link.ts)',
  },
  {
    folders: ['config', 'observability'],
    forbidden: allBut('config', 'observability'),
    why: 'config and observability are imported by every layer, so they import none',
  },
  {
    folders: ['store', 'broker', 'chat', 'identity', 'presence', 'friends', 'uploads', 'moderation', 'search'],
    forbidden: ['realtime', 'http', 'app'],
    why: 'this layer sits below the Socket.IO and HTTP edges and the app that wires them',
  },
  { folders: ['realtime'], forbidden: ['http', 'app'], why: 'the Socket.IO edge and the HTTP edge meet only in src/app' },
  {
    folders: ['ops'],
    forbidden: ['realtime', 'http', 'app'],
    why: 'operator commands (src/ops) work on the store and the uploads directly, never through a replica and its edges',
  },
  { folders: ['http'], forbidden: ['realtime', 'app'], why: 'the HTTP edge and the Socket.IO edge meet only in src/app' },
];

// Any depth of ../, since store/ has subfolders: src/ holds no folder named like a subfolder.
const importOf = (folders) => `^(\\.\\./)+(${folders.join('|')})(/|$)`;

/** The product never leans on the tooling around it: the image builds from src/ alone (rootDir src). */
const TOOLING = { regex: importOf(['test', 'bench', 'scripts', 'dev']), message: 'src/ never imports test/, bench/, scripts/ or dev/.' };

/** What a file of `folder` must not import. */
function restrictedImports(folder) {
  // Pure CRDTs: no I/O, clock or randomness, so not even a package.
  if (folder === 'crdt') return [{ regex: '^(?!\\./)', message: 'src/crdt is pure: it imports nothing outside itself.' }];
  if (folder === 'app') return [TOOLING];
  const layer = LAYERS.find(({ folders }) => folders.includes(folder));
  // A folder without a layer would be held to nothing: say where it sits.
  if (!layer) throw new Error(`eslint.config.js: src/${folder} is in no layer; add it to LAYERS`);
  return [TOOLING, { regex: importOf(layer.forbidden), message: `A back-arrow: ${layer.why}.` }];
}

/** One `no-restricted-imports` per folder: flat config replaces a rule's options rather than merging them. */
const layerRules = SRC_FOLDERS.map((folder) => ({
  files: [`src/${folder}/**/*.ts`],
  rules: { 'no-restricted-imports': ['error', { patterns: restrictedImports(folder) }] },
}));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...layerRules,
  {
    files: ['test/**/*.ts', 'dev/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The dev tooling (bench/, `npm run cluster`) runs without the test runner: what it shares with the
    // tests lives in dev/, so none of it reaches into test/ or needs vitest.
    files: ['dev/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vitest', message: 'dev/, bench/ and scripts/ run without the test runner.' }],
          patterns: [{ group: ['**/test/**'], message: 'Shared dev pieces live in dev/; test/ imports them, not the other way.' }],
        },
      ],
    },
  },
  {
    files: ['public/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
);
