import type { SocketDBClientAPI } from '@socketdb/client';
import type { Messages } from './tree';

/** The file name of a subtree's export: its path with `/` as `.`, `root` for the root. */
function exportName(path: string): string {
	return `${path === '' ? 'root' : path.replaceAll('/', '.')}.json`;
}

/** Downloads the subtree at `path` as JSON, read afresh from the database. */
export function exportSubtree(db: SocketDBClientAPI, path: string): void {
	db.get(path).once((value) => {
		const blob = new Blob([`${JSON.stringify(value, null, 2)}\n`], { type: 'application/json' });
		const link = document.createElement('a');
		link.href = URL.createObjectURL(blob);
		link.download = exportName(path);
		document.body.append(link);
		link.click();
		link.remove();
		setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
	});
}

/**
 * Writes the JSON of `file` into `path` as a `set` does (it merges into what is there), through
 * the normal write path, so the server's hooks decide; a refusal, or a file that is not JSON, is
 * told with its code.
 */
export async function importFile(db: SocketDBClientAPI, path: string, file: File, messages: Messages, track: (write: PromiseLike<unknown>) => void): Promise<void> {
	const where = path === '' ? '(root)' : path;
	let value: unknown;
	try {
		value = JSON.parse(await file.text());
	} catch (error) {
		messages.report(`import into ${where}: INVALID_VALUE: ${file.name} is not JSON (${(error as Error).message})`);
		return;
	}
	const write = db.get(path).set(value as never);
	track(write);
	try {
		await write;
		messages.clear(`import:${path}`);
	} catch (error) {
		const { code, message } = error as { code?: string; message?: string };
		messages.report(`import into ${where}: ${code ?? 'ERROR'}: ${message ?? String(error)}`, `import:${path}`);
	}
}
