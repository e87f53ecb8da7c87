import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

// What each package may import, checked on its sources: static imports and re-exports,
// side-effect imports (`import 'x'`) and dynamic `import('x')` alike.

function sources(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const path = join(dir, name);
		if (statSync(path).isDirectory()) return sources(path);
		return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
	});
}

type Import = { specifier: string; typeOnly: boolean };

/** Every module specifier a file names, with whether the import is for types only. */
function importsOf(text: string): Import[] {
	const found: Import[] = [];
	for (const match of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm)) found.push({ specifier: match[3]!, typeOnly: match[2] !== undefined });
	for (const match of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) found.push({ specifier: match[1]!, typeOnly: false });
	for (const match of text.matchAll(/\bimport\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g)) found.push({ specifier: match[1]!, typeOnly: false });
	return found;
}

/** Dynamic imports whose module is computed: each must be one the project means to have. */
function computedImports(text: string): number {
	return [...text.matchAll(/\bimport\s*\(\s*[^'"`\s)]/g)].length;
}

const external = (specifier: string) => !specifier.startsWith('.') && !specifier.startsWith('#');

/**
 * Package folder -> what its sources may import at run time; `types` may be imported for types
 * only, `extra` names what single files may import besides.
 */
type Rule = { dir: string; allowed: RegExp; types?: RegExp; extra?: (file: string) => RegExp | undefined };
const rules: Rule[] = [
	{ dir: 'core/src', allowed: /^(krog|msgpackr)$/, extra: (file) => (/(store-contract|testing)\.ts$/.test(file) ? /^vitest$/ : undefined) },
	{ dir: 'client/src', allowed: /^@socketdb\/core(\/in-process)?$/, extra: (file) => (/websocket-impl\.node\.ts$/.test(file) ? /^ws$/ : undefined) },
	{ dir: 'server/src', allowed: /^(@socketdb\/core(\/in-process)?|ws|node:.+)$/, types: /^crossws$/ },
	{ dir: 'store-lmdb/src', allowed: /^(@socketdb\/core|lmdb|node:.+)$/ },
	{ dir: 'cli/src', allowed: /^(@socketdb\/(core|client|server|store-lmdb|redis)|commander|ws|node:.+)$/ },
	{ dir: 'redis/src', allowed: /^(@socketdb\/(core|server)|ioredis|node:.+)$/ },
	{ dir: 'plugins', allowed: /^(@socketdb\/(core|server|client)|ajv|immer)$/ },
	// Runs in the browser: no Node module.
	{ dir: 'react/src', allowed: /^(@socketdb\/(core|client)|react)$/ },
];

/** The inspector's page runs in the browser: it may use the client and core only. */
const BROWSER_PAGE = /^@socketdb\/(core|client)$/;

function allowedFor(rule: Rule, file: string): RegExp[] {
	if (file.includes('inspector/page/')) return [BROWSER_PAGE];
	const extra = rule.extra?.(file);
	return extra === undefined ? [rule.allowed] : [rule.allowed, extra];
}

describe('each package imports only what it may', () => {
	for (const rule of rules) {
		test(rule.dir, () => {
			for (const file of sources(rule.dir)) {
				const allowed = allowedFor(rule, file);
				for (const { specifier, typeOnly } of importsOf(readFileSync(file, 'utf8')).filter(({ specifier }) => external(specifier))) {
					const ok = allowed.some((pattern) => pattern.test(specifier)) || (typeOnly && rule.types?.test(specifier) === true);
					expect([file, specifier, ok]).toEqual([file, specifier, true]);
				}
			}
		});
	}
});

test('packages reach each other only through their public entries', () => {
	for (const rule of rules) {
		for (const file of sources(rule.dir)) {
			for (const { specifier } of importsOf(readFileSync(file, 'utf8'))) {
				expect([file, specifier]).toEqual([file, expect.not.stringMatching(/^@socketdb\/[^/]+\/(?!crossws$|testing$|in-process$).+|^\.\.\/\.\.\/(core|client|server|store-lmdb|redis|cli)\//)]);
			}
		}
	}
});

test('the only computed dynamic import is the CLI loading a config file', () => {
	const computed = rules.flatMap((rule) => sources(rule.dir)).filter((file) => computedImports(readFileSync(file, 'utf8')) > 0);
	expect(computed).toEqual(['cli/src/config.ts']);
});

test('the import scanner sees static, type-only, side-effect and dynamic imports', () => {
	const text = `import a from 'a';\nimport type { B } from 'b';\nexport { c } from 'c';\nimport 'd';\nconst e = await import('e');\nconst f = () => import(\`f\`);`;
	expect(importsOf(text)).toEqual([
		{ specifier: 'a', typeOnly: false },
		{ specifier: 'b', typeOnly: true },
		{ specifier: 'c', typeOnly: false },
		{ specifier: 'd', typeOnly: false },
		{ specifier: 'e', typeOnly: false },
		{ specifier: 'f', typeOnly: false },
	]);
	expect(computedImports('await import(pathToFileURL(x).href)')).toBe(1);
});

test('no source file is over 400 lines', () => {
	for (const file of rules.flatMap((rule) => sources(rule.dir))) {
		const lines = readFileSync(file, 'utf8').split('\n').length;
		expect([file, lines <= 400]).toEqual([file, true]);
	}
});

test('every eslint-disable comment names its reason (`-- why`)', () => {
	const folders = [...rules.map((rule) => rule.dir), 'test', 'bench', 'scripts', 'examples'];
	const files = folders.flatMap((dir) => allFiles(dir)).filter((file) => /\.(ts|js|mjs)$/.test(file));
	for (const file of files) {
		readFileSync(file, 'utf8')
			.split('\n')
			.forEach((line, index) => {
				if (/\/[/*]\s*eslint-disable/.test(line) && !/eslint-disable[\w-]*\s+\S.*\s--\s+\S/.test(line)) expect(`${file}:${index + 1}: ${line.trim()}`).toBe('a reason after --');
			});
	}
});

/** Every file below `dir`, tests included, outside build output, dependencies and generated folders. */
function allFiles(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const path = join(dir, name);
		if (['dist', 'node_modules', 'results', '.recipes', '.docs', '.doc-blocks'].includes(name)) return [];
		return statSync(path).isDirectory() ? allFiles(path) : [path];
	});
}
