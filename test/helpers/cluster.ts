import { startServe, temporaryDirectory, type ServeProcess } from './cli';

/** A `socketdb serve --redis` process of a test cluster, with its own data directory. */
export type ClusterNode = ServeProcess & {
	/** Where its data is (kept across `kill9` and a new `startNode` on it). */
	data: string;
	/** Kills it with SIGKILL and waits until it is gone. */
	kill9: () => Promise<void>;
	/** Stops it with SIGTERM (it flushes and leaves) and waits until it is gone. */
	stop: () => Promise<void>;
};

const started: ClusterNode[] = [];
const directories: (() => void)[] = [];

/**
 * Starts `socketdb serve --redis <redis> --cluster <cluster>` on a free port, on `data` (a new
 * empty directory by default), with `--update-interval 0` unless `args` say otherwise.
 */
export async function startNode(redis: string, cluster: string, options: { data?: string; args?: string[]; env?: Record<string, string> } = {}): Promise<ClusterNode> {
	let data = options.data;
	if (data === undefined) {
		const directory = temporaryDirectory('socketdb-node-');
		directories.push(directory.remove);
		data = directory.path;
	}
	const args = options.args ?? ['--update-interval', '0'];
	const serve = await startServe(['--redis', redis, '--cluster', cluster, '--data', data, '--no-inspector', ...args], options.env === undefined ? {} : { env: options.env });
	const gone = async (signal: NodeJS.Signals) => {
		if (serve.child.exitCode === null && serve.child.signalCode === null) serve.child.kill(signal);
		await serve.exited;
	};
	const node: ClusterNode = { ...serve, data, kill9: () => gone('SIGKILL'), stop: () => gone('SIGTERM') };
	started.push(node);
	return node;
}

/** Kills every node the test started and removes their directories; call from afterEach. */
export async function stopNodes(): Promise<void> {
	await Promise.all(started.splice(0).map((node) => node.kill9()));
	for (const remove of directories.splice(0)) remove();
}
