import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import type { DocBlock } from './docs';

/**
 * Type-checks code blocks of the docs, each as a module of its own, with `prelude` (an ambient
 * declaration file) in scope, under the workspace's compiler options. The blocks of one page sit in
 * one folder. Blocks resolve the packages
 * as the tests do (their sources, through the `socketdb-source` condition). A page with a
 * `declare module` block is a program of its own, so its augmentation holds on that page only.
 * Returns one line per error: `file:line:column message`.
 */
export function typeCheckBlocks(blocks: DocBlock[], prelude: string, directory: string): string[] {
	const origin = new Map<string, DocBlock>();
	const pages = new Map<string, string[]>();
	for (const block of blocks) {
		const folder = resolve(directory, block.file.replace(/[^a-z0-9]+/gi, '-'));
		mkdirSync(folder, { recursive: true });
		const path = join(folder, fileName(block));
		if (origin.has(path)) throw new Error(`${block.file}:${block.line}: another block of the page is ${fileName(block)} already`);
		// `export {}` makes every block a module, so blocks do not share their top-level names.
		writeFileSync(path, `${block.code}\nexport {};\n`);
		origin.set(path, block);
		pages.set(block.file, [...(pages.get(block.file) ?? []), path]);
	}

	const options = compilerOptions();
	const host = cachingHost(options, new Set(origin.keys()));
	const augments = (files: string[]) => files.some((file) => /^declare module /m.test(origin.get(file)!.code));
	const groups = [[...pages.values()].filter((files) => !augments(files)).flat(), ...[...pages.values()].filter(augments)];
	const programs = groups.map((files) => ts.createProgram({ rootNames: [resolve(prelude), ...files], options, host }));

	const problems: string[] = [];
	for (const program of programs) {
		const checked = program.getSourceFiles().filter((file) => origin.has(resolve(file.fileName)) || resolve(file.fileName) === resolve(prelude));
		const diagnostics = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics(), ...checked.flatMap((file) => [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)])];
		for (const diagnostic of diagnostics) problems.push(describe(diagnostic, origin));
	}
	return [...new Set(problems)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/**
 * A block whose first line names its file (`// server.ts`) is written under that name, so the other
 * blocks of its page can import it (`from './server'`); the others are named by their line.
 */
function fileName(block: DocBlock): string {
	return /^\/\/ ([\w-]+\.tsx?)\s*$/.exec(block.code.split('\n', 1)[0]!)?.[1] ?? `${block.line}.${block.language === 'tsx' ? 'tsx' : 'ts'}`;
}

/** The workspace's options (tsconfig.json), except that a docs example may leave names unused. */
function compilerOptions(): ts.CompilerOptions {
	const config = ts.readConfigFile('tsconfig.json', ts.sys.readFile);
	if (config.error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
	const { options, errors } = ts.convertCompilerOptionsFromJson(config.config.compilerOptions, process.cwd());
	if (errors.length > 0) throw new Error(ts.flattenDiagnosticMessageText(errors[0]!.messageText, '\n'));
	return { ...options, noUnusedLocals: false, noUnusedParameters: false, noEmit: true };
}

/** A compiler host that parses each file outside the blocks once, for all programs. */
function cachingHost(options: ts.CompilerOptions, blocks: Set<string>): ts.CompilerHost {
	const host = ts.createCompilerHost(options, true);
	const cache = new Map<string, ts.SourceFile | undefined>();
	const getSourceFile = host.getSourceFile.bind(host);
	host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
		if (blocks.has(resolve(fileName))) return getSourceFile(fileName, languageVersion, onError, shouldCreate);
		if (!cache.has(fileName)) cache.set(fileName, getSourceFile(fileName, languageVersion, onError, shouldCreate));
		return cache.get(fileName);
	};
	return host;
}

/** A diagnostic as `file:line:column message`, in the markdown file for an error in a block. */
function describe(diagnostic: ts.Diagnostic, origin: Map<string, DocBlock>): string {
	const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n  ');
	if (diagnostic.file === undefined || diagnostic.start === undefined) return `TS${diagnostic.code}: ${message}`;
	const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
	const block = origin.get(resolve(diagnostic.file.fileName));
	const where = block === undefined ? `${diagnostic.file.fileName}:${line + 1}` : `${block.file}:${block.line + line}`;
	return `${where}:${character + 1} TS${diagnostic.code}: ${message}`;
}

/** A new folder for doc blocks beside the tests (gitignored), so that they resolve the packages as the tests do. */
export function blocksDirectory(): string {
	const parent = join('test', '.doc-blocks');
	mkdirSync(parent, { recursive: true });
	return resolve(mkdtempSync(join(parent, 'run-')));
}

/**
 * The members of a union of string literal types: `typeName`, as exported by the module `source`
 * (written to `directory` and compiled with the workspace's options, without Node or DOM types: for
 * types of @socketdb/core).
 */
export function stringLiterals(source: string, typeName: string, directory: string): string[] {
	const file = join(directory, 'literals.ts');
	writeFileSync(file, source);
	const program = ts.createProgram({ rootNames: [file], options: { ...compilerOptions(), lib: ['lib.es2022.d.ts'], types: [] } });
	const problems = ts.getPreEmitDiagnostics(program, program.getSourceFile(file));
	if (problems.length > 0) throw new Error(problems.map((problem) => describe(problem, new Map())).join('\n'));
	const checker = program.getTypeChecker();
	const symbol = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file)!)!).find((candidate) => candidate.name === typeName);
	if (symbol === undefined) throw new Error(`the module exports no ${typeName}`);
	const type = checker.getDeclaredTypeOfSymbol(symbol);
	return (type.isUnion() ? type.types : [type]).map((member) => {
		if (!member.isStringLiteral()) throw new Error(`${typeName} has a member that is not a string literal: ${checker.typeToString(member)}`);
		return member.value;
	});
}
