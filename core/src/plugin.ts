import { createHooks, type Hook } from 'krog';

export type { Hook };

/**
 * A named set of hooks. `Hooks` is the client's or the server's hook map.
 *
 * @example
 * const stamp: ClientPlugin = {
 *   name: 'stamp',
 *   hooks: { 'client:set': ({ path, value, meta }) => ({ path, value, meta: { ...meta, updated: Date.now() } }) },
 * };
 */
export type Plugin<Hooks> = {
	name: string;
	hooks: Hooks;
};

/**
 * Identity helper that gives plugin authors type inference.
 *
 * @example export const plugin = definePlugin<ServerHooks>({ name: 'audit', hooks: { 'server:update': ... } });
 */
export function definePlugin<Hooks>(plugin: Plugin<Hooks>): Plugin<Hooks> {
	return plugin;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- hook maps are heterogeneous by design
type AnyHook = Hook<any, any>;
/** The arguments a hook receives. */
export type HookArgs<H> = H extends Hook<infer Args, any> ? Args : never; // eslint-disable-line @typescript-eslint/no-explicit-any -- matches a hook of any context
/** The context a hook receives. */
export type HookContext<H> = H extends Hook<any, infer Context> ? Context : never; // eslint-disable-line @typescript-eslint/no-explicit-any -- matches a hook of any arguments

/**
 * The hooks of one side, run as krog middleware: each hook gets the previous one's
 * result, a returned value replaces the arguments, a throw rejects the call.
 * It also knows whether a hook is registered, so callers can skip the async
 * round trip on the hot path when nobody listens.
 */
export class HookPipeline<Hooks extends { [name: string]: AnyHook | undefined }> {
	readonly #hooks = createHooks<{ [K in keyof Hooks]-?: NonNullable<Hooks[K]> }>();
	readonly #counts = new Map<keyof Hooks, number>();

	/** Registers every hook of each plugin, in order. */
	registerPlugins(plugins: readonly Plugin<Partial<Hooks>>[]): void {
		for (const plugin of plugins) {
			for (const name of Object.keys(plugin.hooks) as (keyof Hooks)[]) {
				const hook = plugin.hooks[name];
				if (typeof hook === 'function') this.register(name, hook as NonNullable<Hooks[typeof name]>);
			}
		}
	}

	/** Adds a hook; returns the function that removes it again. */
	register<K extends keyof Hooks>(name: K, hook: NonNullable<Hooks[K]>): () => void {
		const unregister = this.#hooks.register(name, hook);
		this.#counts.set(name, (this.#counts.get(name) ?? 0) + 1);
		let registered = true;
		return () => {
			if (!registered) return;
			registered = false;
			unregister();
			this.#counts.set(name, (this.#counts.get(name) ?? 1) - 1);
		};
	}

	/** True when at least one hook is registered under `name`. */
	has(name: keyof Hooks): boolean {
		return (this.#counts.get(name) ?? 0) > 0;
	}

	/**
	 * Runs the hooks registered under `name`. Arguments are passed by reference;
	 * callers hand in values they own.
	 */
	async call<K extends keyof Hooks>(name: K, args: HookArgs<NonNullable<Hooks[K]>>, context: HookContext<NonNullable<Hooks[K]>>): Promise<HookArgs<NonNullable<Hooks[K]>>> {
		if (!this.has(name)) return args;
		// krog's typing cannot follow the mapped hook map; the call is checked by this method's signature.
		const call = this.#hooks.call as unknown as (n: K, p: { args: unknown; context: unknown }, o: { asRef: boolean }) => Promise<HookArgs<NonNullable<Hooks[K]>>>;
		return call(name, { args, context }, { asRef: true });
	}
}
