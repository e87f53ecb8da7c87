import { assertServerValueSpec, malformedTextReason, RESERVED_KEYS, ServerValue, SocketDBError } from '@socketdb/core';

/**
 * Copies a value the app wants to write into plain JSON, the way `JSON.stringify`
 * would: `toJSON()` is honoured (dates become strings, boxed primitives unwrap), `undefined` and functions are
 * dropped from objects and become `null` in arrays, non-finite numbers become `null`.
 * The copy is the client's own, so the app may keep changing its object.
 *
 * @throws SocketDBError `INVALID_VALUE` for bigints, cycles, reserved keys, and strings or keys
 * with lone surrogates (they cannot travel as UTF-8 unchanged).
 */
export function toJsonValue(value: unknown, serverValues = false): unknown {
	return copy(value, [], serverValues);
}

/**
 * `serverValues`: whether a server value (`increment()`, `serverTimestamp()`) may stand here, as a
 * value or a property of one (not inside an array: an array is one leaf).
 */
function copy(value: unknown, ancestors: object[], serverValues: boolean): unknown {
	switch (typeof value) {
		case 'string': {
			const reason = malformedTextReason('string', value);
			if (reason !== null) throw new SocketDBError('INVALID_VALUE', reason);
			return value;
		}
		case 'boolean':
			return value;
		case 'number':
			return Number.isFinite(value) ? value : null;
		case 'bigint':
			throw new SocketDBError('INVALID_VALUE', 'bigints cannot be stored; convert them to strings or numbers');
		case 'object': {
			if (value === null) return null;
			if (value instanceof ServerValue) {
				if (!serverValues) throw new SocketDBError('INVALID_VALUE', 'a server value (increment, serverTimestamp) cannot be in meta or inside an array');
				assertServerValueSpec(value.spec, '');
				return value;
			}
			if (value instanceof Number || value instanceof String || value instanceof Boolean) return copy(value.valueOf(), ancestors, false);
			const withJson = value as { toJSON?: () => unknown };
			if (typeof withJson.toJSON === 'function') return copy(withJson.toJSON(), ancestors, false);
			// A stack, not a Set: values are shallow, and a Set per write costs more than the scans.
			if (ancestors.includes(value)) throw new SocketDBError('INVALID_VALUE', 'circular structures cannot be stored');
			ancestors.push(value);
			let result: unknown;
			if (Array.isArray(value)) {
				// Indices, not map(): holes become null like JSON.stringify makes them.
				const items: unknown[] = new Array(value.length);
				for (let i = 0; i < value.length; i++) items[i] = copy(value[i], ancestors, false) ?? null;
				result = items;
			} else {
				const object: Record<string, unknown> = {};
				for (const key of Object.keys(value)) {
					if (RESERVED_KEYS.has(key)) throw new SocketDBError('INVALID_VALUE', `key "${key}" is reserved`);
					const malformed = malformedTextReason('key', key);
					if (malformed !== null) throw new SocketDBError('INVALID_VALUE', malformed);
					const item = copy((value as Record<string, unknown>)[key], ancestors, serverValues);
					if (item !== undefined) object[key] = item;
				}
				result = object;
			}
			ancestors.pop();
			return result;
		}
		default:
			return undefined;
	}
}
