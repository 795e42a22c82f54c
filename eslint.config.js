import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'coverage/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
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
    // `io` is the Socket.IO client the page loads from the server.
    languageOptions: { globals: { ...globals.browser, io: 'readonly' } },
  },
);
