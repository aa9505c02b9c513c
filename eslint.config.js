// Lint rules the project runs (`npm run lint`, part of `npm test`): the recommended sets of ESLint
// and typescript-eslint, with unused code an error. Formatting is left to the editor.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // What git ignores (build output, runtime data, the benchmark's cache) is not linted either, nor
  // generated code (ahead-of-time schema validators, src/schema/).
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', '.tap/**', 'test/fixtures/**', 'bench/.cache/**', '**/*.generated.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', Buffer: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      // A mail daemon strips control characters from hostile input on purpose, by regex.
      'no-control-regex': 'off',
    },
  },
  {
    // Tests walk nested JSON records whose shape a schema check already covers; each says why.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
