// Lint the boundaries the type-checker cannot: promises nobody awaits or handles, promises passed where a plain
// callback is expected, and the UI reaching into the engine other than through the API (type imports are fine).
import tseslint from 'typescript-eslint';
import svelteParser from 'svelte-eslint-parser';

const engineOnlyThroughApi = ['error', {
  patterns: [{ group: ['**/engine/**'], allowTypeImports: true, message: 'The UI talks to the engine only through the API (src/api); import types, or go through the studio facade.' }],
}];

export default [
  { ignores: ['dist/**', 'node_modules/**', 'bench/**', 'test/**', 'public/**', 'src/sw.ts'] },
  {
    files: ['src/**/*.ts', 'workers/**/*.ts'],
    languageOptions: { parser: tseslint.parser, parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    files: ['src/ui/**/*.svelte'],
    languageOptions: { parser: svelteParser, parserOptions: { parser: tseslint.parser } },
    plugins: { '@typescript-eslint': tseslint.plugin },
  },
  {
    files: ['src/ui/**/*.ts', 'src/ui/**/*.svelte'],
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: { '@typescript-eslint/no-restricted-imports': engineOnlyThroughApi },
  },
];
