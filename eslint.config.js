// Lint for every package, the tests, the benchmarks and the scripts: `npm run lint`, part of `npm test`,
// with zero warnings. TypeScript checks names itself (`tsc` runs in `npm test` too), so `no-undef` is
// left to it for TypeScript files; JavaScript files get the globals of where they run.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
	{ ignores: ['**/dist/**', '**/node_modules/**', 'test/.recipes/**', 'test/.docs/**', 'test-results/**', 'bench/results/**', 'data/**'] },
	js.configs.recommended,
	...tseslint.configs.recommended,
	{
		linterOptions: { reportUnusedDisableDirectives: 'error' },
		languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
	},
	{
		rules: {
			// `_name` marks a parameter or binding that is there for its position or its count.
			'@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
			// Interfaces that users augment by declaration merging (SessionContext) start empty.
			'@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
		},
	},
	{ files: ['**/*.ts'], rules: { 'no-undef': 'off' } },
	{ files: ['**/*.js', '**/*.mjs'], languageOptions: { globals: globals.node } },
	{ files: ['examples/*/app.js'], languageOptions: { globals: globals.browser } },
);
