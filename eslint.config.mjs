// Lint rules checked by `npm test`. Formatting is Prettier's job (eslint-config-prettier turns off the
// rules that would fight it).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** What the application layer may not name: it returns domain shapes, and each interface renders them. */
const wireWords = [
  {
    selector: 'Literal[value=/registry_[a-z]+/]',
    message: 'src/application names no MCP tool: hints that name tools belong to src/interfaces.',
  },
  {
    selector: 'TemplateElement[value.raw=/registry_[a-z]+/]',
    message: 'src/application names no MCP tool: hints that name tools belong to src/interfaces.',
  },
  {
    selector: 'Property > Identifier.key[name=/^[a-z0-9]+(_[a-z0-9]+)+$/]',
    message: 'snake_case keys are a wire format: the application returns camelCase domain shapes, src/interfaces renders DTOs.',
  },
  {
    selector: 'TSPropertySignature > Identifier.key[name=/^[a-z0-9]+(_[a-z0-9]+)+$/]',
    message: 'snake_case keys are a wire format: the application returns camelCase domain shapes, src/interfaces renders DTOs.',
  },
  {
    selector: 'Literal[value=/[\\u{1F300}-\\u{1FAFF}\\u{2600}-\\u{27BF}]/u]',
    message: 'emoji are presentation: render them in src/interfaces.',
  },
  {
    selector: 'TemplateElement[value.raw=/[\\u{1F300}-\\u{1FAFF}\\u{2600}-\\u{27BF}]/u]',
    message: 'emoji are presentation: render them in src/interfaces.',
  },
];

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
    files: ['src/application/**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ...wireWords] },
  },
  {
    // The CLI prints to the terminal; tests, benchmarks and scripts may log.
    files: ['src/interfaces/cli/**/*.ts', 'src/main.ts', 'src/cli.ts', 'tests/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.mjs', 'examples/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  prettier,
);
