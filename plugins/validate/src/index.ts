import { isEmptyObject, isObject, parsePath, SocketDBError, unwrap, type Json, type NodeDiff } from '@socketdb/core';
import type { ServerPlugin, SocketDBServerDataAPI } from '@socketdb/server';
import { Ajv, type ErrorObject, type JSONSchemaType, type SchemaObject } from 'ajv';
import { freeze, produce, type Draft } from 'immer';

type Data = Record<string, unknown>;

/**
 * A server plugin that refuses every update or delete after which the whole tree would
 * not match `schema` (a JSON schema, checked with ajv). The refusal is a `SchemaError`: code
 * `VETOED`, a message that lists what is wrong, and ajv's errors as `details` and `errors`.
 * Its name is `'schema'` and the refusal's `name` is `'invalid'`, as in SocketDB's plugin.
 *
 * The plugin keeps an immutable copy of the tree's values, shared structurally between
 * versions: checking a write copies only the path it touches, never the whole tree.
 * Two writes from different clients checked at the same moment are each checked against
 * the tree before either applies.
 *
 * @example
 * SocketDBServer({ plugins: [pluginValidate({ type: 'object', properties: { count: { type: 'number' } } })] });
 */
export function pluginValidate<DataType extends Json = Json>(schema: JSONSchemaType<DataType> | SchemaObject): ServerPlugin<DataType> {
	const ajv = new Ajv({ allErrors: true });
	const validate = ajv.compile(schema);
	let values: Data | undefined;

	const current = (api: SocketDBServerDataAPI<DataType>): Data => (values ??= freeze(toData(unwrap(api.get(''))), true));

	const check = (candidate: Data): void => {
		if (validate(candidate)) return;
		const errors = validate.errors ?? [];
		throw new SchemaError(errors);
	};

	return {
		name: 'schema',
		hooks: {
			'server:update': ({ data }, { api }) => {
				check(applyDiff(current(api), data as NodeDiff));
			},
			'server:delete': ({ path }, { api }) => {
				check(removePath(current(api), path));
			},
			'server:change': ({ data, deleted }) => {
				if (values === undefined) return;
				values = data !== undefined ? applyDiff(values, data as NodeDiff) : removePath(values, deleted ?? '');
			},
		},
	};
}

/**
 * A write after which the data would not match the schema: a `SocketDBError` (code `VETOED`,
 * ajv's errors as `details`) that also has the fields SocketDB's plugin threw: `name: 'invalid'`,
 * `message` and `errors`.
 */
export class SchemaError extends SocketDBError {
	override readonly name = 'invalid';
	readonly errors: readonly ErrorObject[];

	constructor(errors: readonly ErrorObject[]) {
		super('VETOED', `Data is invalid: ${describe(errors)}`, errors);
		this.errors = errors;
	}
}

function describe(errors: readonly ErrorObject[]): string {
	return errors.map((error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}`).join('; ');
}

function toData(value: unknown): Data {
	return isObject(value) ? value : {};
}

/** The values after merging `diff` (SocketDB's rules), sharing every untouched part. */
export function applyDiff(values: Data, diff: NodeDiff): Data {
	if (!isObject(diff.value) || isEmptyObject(diff.value)) return values;
	return produce(values, (draft) => {
		mergeChildren(draft as Data, diff.value as Record<string, NodeDiff>);
	});
}

function mergeChildren(target: Data, children: Record<string, NodeDiff>): void {
	for (const key of Object.keys(children)) {
		const child = children[key]!;
		const value = child.value;
		if (value === undefined) {
			if (!(key in target) && child.meta !== undefined) target[key] = {};
			continue;
		}
		if (isObject(value)) {
			if (isEmptyObject(value)) {
				if (!(key in target) && child.meta !== undefined) target[key] = {};
				continue;
			}
			if (!isObject(target[key])) target[key] = {};
			mergeChildren(target[key] as Data, value as Record<string, NodeDiff>);
		} else {
			target[key] = value as Draft<unknown>;
		}
	}
}

/** The values without `path`, sharing every untouched part. */
export function removePath(values: Data, path: string): Data {
	const segments = parsePath(path);
	const last = segments.pop();
	if (last === undefined) return freeze({});
	let parent: unknown = values;
	for (const key of segments) {
		if (!isObject(parent)) return values;
		parent = parent[key];
	}
	if (!isObject(parent) || !(last in parent)) return values;
	return produce(values, (draft) => {
		let node = draft as Data;
		for (const key of segments) node = node[key] as Data;
		delete node[last];
	});
}

export default pluginValidate;
export type { ErrorObject, JSONSchemaType };
