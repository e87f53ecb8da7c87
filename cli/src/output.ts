let readerGone = false;

/**
 * Makes the CLI behave like a Unix tool when the reader of its output goes away (`socketdb get …
 * | head`): the write fails with EPIPE, and instead of an unhandled error (a stack trace and exit
 * code 1) the rest of the output is dropped and the command ends as it would have, with code 0.
 * The same holds for standard error. Other errors on these streams are thrown as before.
 */
export function endQuietlyWhenReaderCloses(): void {
	for (const stream of [process.stdout, process.stderr]) {
		stream.on('error', (error: NodeJS.ErrnoException) => {
			if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
			if (stream === process.stdout) readerGone = true;
		});
	}
}

/** Writes to standard output, unless its reader is gone. */
export function writeOut(text: string): void {
	if (!readerGone) process.stdout.write(text);
}
