// ESLint's flat config: eslint's and typescript-eslint's recommended rules (syntax only, not type-checked: the
// type-aware rules would load the whole program a second time next to `npm run typecheck`). Formatting is prettier's.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'build/', '.cache/', 'node_modules/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.{js,mjs,ts}'],
    languageOptions: { globals: globals.node },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Matching control characters is deliberate here: they are escaped in error messages, refused in input, and
      // the tests look for (or the absence of) terminal colour sequences.
      'no-control-regex': 'off',
      // A leading underscore marks what is unused on purpose (a callback's first argument, a discarded field).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Tests take parsed YAML and JSON apart and mutate it (the fuzzer, invalid topologies): `any` is its honest type.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
