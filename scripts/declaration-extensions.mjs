// Gives the relative imports of emitted declarations (dist/**/*.d.ts) their file extensions:
// `./client` becomes `./client.js`, `./transport` (a folder) `./transport/index.js`. Under
// `moduleResolution: NodeNext` or `Node16` TypeScript resolves only such specifiers, and a
// declaration it cannot resolve silently turns a user's types into `any`.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bdeclare\s+module\s+)(['"])(\.{1,2}\/[^'"]*)\2/g;

/** Rewrites every declaration file below `directory` in place; returns how many specifiers changed. */
export function addDeclarationExtensions(directory) {
	let changed = 0;
	for (const file of declarationFiles(directory)) {
		const text = readFileSync(file, 'utf8');
		const next = text.replace(SPECIFIER, (whole, before, quote, specifier) => {
			const resolved = withExtension(dirname(file), specifier);
			if (resolved === specifier) return whole;
			changed++;
			return `${before}${quote}${resolved}${quote}`;
		});
		if (next !== text) writeFileSync(file, next);
	}
	return changed;
}

function withExtension(from, specifier) {
	if (/\.(c|m)?js$/.test(specifier)) return specifier;
	const target = join(from, specifier);
	if (existsSync(`${target}.d.ts`)) return `${specifier}.js`;
	if (existsSync(join(target, 'index.d.ts'))) return `${specifier.replace(/\/$/, '')}/index.js`;
	throw new Error(`a declaration in ${from} imports ${specifier}, which has no declaration file`);
}

function declarationFiles(directory) {
	return readdirSync(directory).flatMap((name) => {
		const path = join(directory, name);
		if (statSync(path).isDirectory()) return declarationFiles(path);
		return path.endsWith('.d.ts') ? [path] : [];
	});
}
