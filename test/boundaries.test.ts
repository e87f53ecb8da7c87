import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';

function sources(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const path = join(dir, name);
		if (statSync(path).isDirectory()) return sources(path);
		return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
	});
}

function imports(file: string): string[] {
	return [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((match) => match[1]!);
}

const external = (specifier: string) => !specifier.startsWith('.') && !specifier.startsWith('#');

test('core imports nothing but krog and msgpackr (no Node, no DOM, no ws)', () => {
	for (const file of sources('core/src').filter((file) => !file.endsWith('store-contract.ts'))) {
		for (const specifier of imports(file).filter(external)) expect([file, specifier]).toEqual([file, expect.stringMatching(/^(krog|msgpackr)$/)]);
	}
});

test('the client imports only core, immer, krog types and ws (through its transport adapter)', () => {
	for (const file of sources('client/src')) {
		for (const specifier of imports(file).filter(external)) {
			if (specifier === 'ws') expect(file).toMatch(/websocket-impl\.node\.ts$/);
			else expect([file, specifier]).toEqual([file, expect.stringMatching(/^(@socketdb\/core|immer)$/)]);
		}
	}
});

test('plugins import only public package entry points', () => {
	for (const file of sources('plugins')) {
		for (const specifier of imports(file).filter(external)) {
			expect([file, specifier]).toEqual([file, expect.not.stringMatching(/^@socketdb\/[^/]+\/.+/)]);
		}
	}
});

test('no module grows into an engine file (500 lines at most)', () => {
	for (const file of [...sources('core/src'), ...sources('client/src'), ...sources('server/src'), ...sources('plugins')]) {
		const lines = readFileSync(file, 'utf8').split('\n').length;
		expect([file, lines <= 500]).toEqual([file, true]);
	}
});
