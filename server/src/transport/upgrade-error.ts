import { STATUS_CODES } from 'node:http';

/** HTTP statuses an upgrade can be refused with, by name. */
export const UPGRADE_ERROR_STATUS = {
	BAD_REQUEST: 400,
	UNAUTHORIZED: 401,
	FORBIDDEN: 403,
	NOT_FOUND: 404,
	INTERNAL_SERVER_ERROR: 500,
} as const;

export type UpgradeErrorCode = keyof typeof UPGRADE_ERROR_STATUS;

/**
 * Throw from `initializeSession` to refuse a connection with an HTTP status.
 *
 * @example
 * createWebsocketServer({
 *   initializeSession({ req }) {
 *     if (!req.headers.authorization) {
 *       throw new WebsocketServerError({ code: 'UNAUTHORIZED', headers: { 'WWW-Authenticate': 'Bearer' } });
 *     }
 *     return { user: verify(req.headers.authorization) };
 *   },
 * });
 */
export class WebsocketServerError extends Error {
	readonly code: UpgradeErrorCode;
	readonly status: number;
	readonly headers: Record<string, string>;

	constructor(options: { code: UpgradeErrorCode; headers?: Record<string, string>; message?: string }) {
		const status = UPGRADE_ERROR_STATUS[options.code] ?? 500;
		super(options.message ?? STATUS_CODES[status] ?? 'Error');
		this.name = 'WebsocketServerError';
		this.code = options.code in UPGRADE_ERROR_STATUS ? options.code : 'INTERNAL_SERVER_ERROR';
		this.status = status;
		this.headers = { ...options.headers };
	}
}

/** An HTTP response written straight onto the socket of a refused upgrade. */
export type UpgradeRefusal = { status: number; headers: Record<string, string>; body: string };

/** Serializes a refusal as a raw HTTP/1.1 response. */
export function formatRefusal({ status, headers, body }: UpgradeRefusal): string {
	const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`];
	const names = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
	for (const [name, value] of Object.entries(headers)) {
		if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) continue;
		lines.push(`${name}: ${value}`);
	}
	if (!names.has('content-type')) lines.push('Content-Type: text/plain; charset=utf-8');
	lines.push(`Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close');
	return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Turns whatever `initializeSession` threw (or returned, for a `Response`) into a refusal. */
export async function toRefusal(thrown: unknown): Promise<UpgradeRefusal> {
	if (thrown instanceof WebsocketServerError) return { status: thrown.status, headers: thrown.headers, body: thrown.message };
	if (typeof Response !== 'undefined' && thrown instanceof Response) {
		const headers: Record<string, string> = {};
		thrown.headers.forEach((value, name) => {
			headers[name] = value;
		});
		return { status: thrown.status, headers, body: await thrown.text().catch(() => '') };
	}
	return { status: 500, headers: {}, body: STATUS_CODES[500] ?? 'Internal Server Error' };
}
