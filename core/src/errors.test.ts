import { describe, expect, test } from 'vitest';
import { isErrorCode, SocketDBError, toError, toSocketDBError } from './errors';

describe('SocketDBError', () => {
	test('carries a code, a message and optional details', () => {
		const error = new SocketDBError('FORBIDDEN', 'nope', { why: 'because' });
		expect(error).toBeInstanceOf(Error);
		expect(error.name).toBe('SocketDBError');
		expect(error.code).toBe('FORBIDDEN');
		expect(error.message).toBe('nope');
		expect(error.details).toEqual({ why: 'because' });
	});

	test('has undefined details without details', () => {
		expect(new SocketDBError('VETOED', 'x').details).toBeUndefined();
	});
});

describe('isErrorCode', () => {
	test('refuses anything else', () => {
		for (const code of ['ENOENT', 'vetoed', '', undefined, null, 403, {}]) expect(isErrorCode(code)).toBe(false);
	});
});

describe('toSocketDBError', () => {
	test('keeps a SocketDBError as it is', () => {
		const error = new SocketDBError('RATE_LIMITED', 'slow down', { retry: 1 });
		expect(toSocketDBError(error)).toBe(error);
		expect(toSocketDBError(error, 'INTERNAL_ERROR')).toBe(error);
	});

	test('maps a thrown Error to VETOED with its message', () => {
		const error = toSocketDBError(new Error('not allowed'));
		expect(error).toBeInstanceOf(SocketDBError);
		expect(error.code).toBe('VETOED');
		expect(error.message).toBe('not allowed');
		expect(error.details).toBeUndefined();
	});

	test('maps an Error subclass the same way', () => {
		const error = toSocketDBError(new TypeError('bad type'));
		expect(error.code).toBe('VETOED');
		expect(error.message).toBe('bad type');
	});

	test('maps a plain object with message and errors to VETOED with the errors as details', () => {
		const errors = [{ instancePath: '/age', message: 'must be number' }];
		const error = toSocketDBError({ message: 'validation failed', errors });
		expect(error.code).toBe('VETOED');
		expect(error.message).toBe('validation failed');
		expect(error.details).toEqual(errors);
	});

	test('prefers details over errors', () => {
		const error = toSocketDBError({ message: 'm', details: { a: 1 }, errors: [2] });
		expect(error.details).toEqual({ a: 1 });
	});

	test('keeps the errors of a thrown Error', () => {
		const thrown = Object.assign(new Error('invalid'), { errors: ['e1'] });
		const error = toSocketDBError(thrown);
		expect(error.message).toBe('invalid');
		expect(error.details).toEqual(['e1']);
	});

	test('keeps a known code on a thrown object', () => {
		expect(toSocketDBError({ message: 'who are you', code: 'FORBIDDEN' }).code).toBe('FORBIDDEN');
		expect(toSocketDBError(Object.assign(new Error('too big'), { code: 'PAYLOAD_TOO_LARGE' })).code).toBe('PAYLOAD_TOO_LARGE');
	});

	test('ignores an unknown code', () => {
		const error = toSocketDBError(Object.assign(new Error('no such file'), { code: 'ENOENT' }));
		expect(error.code).toBe('VETOED');
		expect(error.message).toBe('no such file');
	});

	test('uses the fallback code instead of VETOED', () => {
		expect(toSocketDBError(new Error('boom'), 'INTERNAL_ERROR').code).toBe('INTERNAL_ERROR');
		expect(toSocketDBError('boom', 'INTERNAL_ERROR').code).toBe('INTERNAL_ERROR');
		expect(toSocketDBError({ message: 'x', code: 'FORBIDDEN' }, 'INTERNAL_ERROR').code).toBe('FORBIDDEN');
	});

	test('maps thrown primitives to VETOED with their text', () => {
		expect(toSocketDBError('no way')).toMatchObject({ code: 'VETOED', message: 'no way' });
		expect(toSocketDBError(42)).toMatchObject({ code: 'VETOED', message: '42' });
		expect(toSocketDBError(null)).toMatchObject({ code: 'VETOED', message: 'null' });
	});

	test('gives a message when undefined was thrown', () => {
		const error = toSocketDBError(undefined);
		expect(error.code).toBe('VETOED');
		expect(error.message).toBe('refused');
	});

	test('gives a message for an object without one', () => {
		const error = toSocketDBError({ reason: 'x' });
		expect(error.code).toBe('VETOED');
		expect(error.message.length).toBeGreaterThan(0);
		const empty = toSocketDBError(new Error(''));
		expect(empty.message.length).toBeGreaterThan(0);
	});
});

describe('toError', () => {
	test('keeps an Error as it is', () => {
		const error = new TypeError('broken');
		expect(toError(error)).toBe(error);
	});

	test('turns anything else into a SocketDBError with its message', () => {
		expect(toError('no way')).toMatchObject({ name: 'SocketDBError', code: 'VETOED', message: 'no way' });
		expect(toError({ message: 'from an object', code: 'FORBIDDEN' })).toMatchObject({ code: 'FORBIDDEN', message: 'from an object' });
		expect(toError(undefined)).toBeInstanceOf(SocketDBError);
	});
});
