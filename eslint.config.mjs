// Lint rules checked by `npm test`. Formatting is Prettier's job (eslint-config-prettier turns off the
// rules that would fight it).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.tmp/'] },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: globals.node } },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
    },
  },
  {
    // The CLI prints to the terminal; tests, benchmarks and scripts may log.
    files: ['src/interfaces/cli/**/*.ts', 'src/main.ts', 'tests/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.mjs', 'examples/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  prettier,
);
