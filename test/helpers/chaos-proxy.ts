import { startTcpProxy } from './tcp-proxy';

/**
 * A TCP proxy on 127.0.0.1 in front of a server, so a test can cut a client's connection the
 * hard way: `reset()` drops every connection through it with a TCP reset, mid-frame if it
 * happens to be, as a dying network or process would.
 */
export type ChaosProxy = { url: string; reset: () => number; close: () => Promise<void> };

export async function startChaosProxy(target: { port: number }): Promise<ChaosProxy> {
	const proxy = await startTcpProxy(() => [target.port]);
	return { url: `ws://127.0.0.1:${proxy.port}`, reset: proxy.reset, close: proxy.close };
}
