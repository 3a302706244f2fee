import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The type-aware rules (issue 12 §4, ADR 0064), on shipped code, specs and the .mjs tooling alike.
 * @type {import('eslint').Linter.RulesRecord}
 */
const TYPED_RULES = {
  '@typescript-eslint/no-floating-promises': 'error',
  '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
  '@typescript-eslint/no-explicit-any': 'error',
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/generated/**', 'packages/proto/src/gen/**', '.run/**', '.data/**', 'deploy/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', fetch: 'readonly', performance: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', AbortController: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly', setImmediate: 'readonly', WebSocket: 'readonly', window: 'readonly', document: 'readonly', RTCPeerConnection: 'readonly', navigator: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    // Type-aware rules on everything: shipped code, specs, harnesses, @switchboard/testing, the
    // .mjs tooling (typed from its JSDoc) and the config files, all from ONE program
    // (tsconfig.lint.json, ADR 0076) rather than one per workspace plus the spec and tooling
    // programs, which parsed the shared sources three times over. Untyped JSON in tests is
    // `LooseJson` (packages/testing/src/json.ts).
    files: ['**/*.ts', '**/*.mjs', 'eslint.config.js'],
    ignores: ['**/generated/**', 'packages/proto/src/gen/**'],
    languageOptions: { parserOptions: { project: ['./tsconfig.lint.json'], tsconfigRootDir: import.meta.dirname } },
    rules: TYPED_RULES,
  },
  {
    // The client SDK's event and reply payloads get their types from the protocol registry
    // (issue 12 §1); until then its `any`s are the untyped wire data.
    files: ['packages/client/src/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The demo's pages read the admin HTTP API's JSON, which no protocol schema types yet (58 `any`s, ADR 0064).
    files: ['apps/demo/web/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
