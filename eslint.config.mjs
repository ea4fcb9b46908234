// One linter: typescript-eslint with type-aware rules (no floating promises, no misused
// promises) and rackpilot's layer boundaries (build/eslint/boundaries.mjs).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import boundaries from './build/eslint/boundaries.mjs';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.cache/**', 'protocols/generated/**', 'protocols/wire/pb-runtime.*', '**/*.cjs', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { rackpilot: boundaries },
    rules: {
      'rackpilot/boundaries': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-namespace': ['error', { allowDeclarations: true }],
      'no-restricted-syntax': ['error', {
        selector: "CallExpression[callee.property.name=/^(execSync|spawnSync|execFileSync)$/]",
        message: 'blocking child-process calls stall the control loop; use the async forms',
      }, {
        selector: "CallExpression[callee.property.name='graphics']",
        message: 'systeminformation.graphics() blocks the event loop; read GPUs with nvidia-smi asynchronously',
      }],
    },
  },
  {
    // agent/core is pure: time comes in as an argument.
    files: ['agent/core/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'setImmediate', 'fetch', 'process'],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'agent/core takes time as an argument' }, { object: 'performance', property: 'now', message: 'agent/core takes time as an argument' }],
    },
  },
  {
    // Child processes are constructed only in the composition root (and CLI entry points);
    // drivers receive an Exec (agent/runtime/exec.ts). Type imports are fine.
    files: ['agent/**/*.ts'],
    ignores: ['agent/main.ts', 'agent/cli/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: ['node:child_process', 'child_process'].map((name) => ({ name, allowTypeImports: true, message: 'only agent/main.ts starts child processes; take an Exec from DriverDeps' })),
      }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
);
