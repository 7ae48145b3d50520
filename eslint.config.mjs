// Lint: strict TypeScript everywhere, and a hard boundary that keeps I/O,
// clocks and Node built-ins out of workflow code (Temporal replays it).
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const ioPackages = ['pg', 'pg-copy-streams', 'mssql', '@aws-sdk/*', '@temporalio/client', '@temporalio/worker',
  '@temporalio/activity', '@temporalio/testing', 'yaml', 'cli-progress', 'commander'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'reports/**', '.tmig/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code must stay deterministic: no Node built-ins.' })),
        patterns: [
          { group: ioPackages, message: 'Workflow code must not import I/O libraries.' },
          { group: ['../activities', '../activities/*', '../../activities', '../../activities/*', '../engines/*', '../../engines/*', '../config/*', '../../config/*'], allowTypeImports: true,
            message: 'Import activities, engines and config as types only in workflow code.' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'process', message: 'No process access in workflows.' },
        { name: 'fetch', message: 'No I/O in workflows.' }],
      'no-restricted-properties': ['error',
        { object: 'Math', property: 'random', message: 'Use a deterministic value (Temporal replays workflows).' },
        { object: 'Date', property: 'now', message: 'Use workflow time via Temporal APIs.' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
);
