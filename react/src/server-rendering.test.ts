import { createElement as h } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, test } from 'vitest';
import { SocketDBClient } from '@socketdb/client';
import { SocketDBProvider, useConnectionState, useKeys, useQuery, useSocketDB, useValue } from './index';

describe('server rendering', () => {
	test('every hook renders its loading state, and nothing subscribes', () => {
		const db = SocketDBClient();
		function Page() {
			const client = useSocketDB();
			const value = useValue('greeting');
			const keys = useKeys('todos');
			const query = useQuery(client.get('scores').orderByKey().limitToFirst(3));
			return h('p', null, `${value.status} ${String(keys)} ${query.status} ${useConnectionState()}`);
		}
		expect(renderToString(h(SocketDBProvider, { client: db }, h(Page)))).toBe('<p>loading undefined loading connecting</p>');
	});

	test('a hook without a provider says what is missing', () => {
		function Orphan() {
			useValue('x');
			return null;
		}
		expect(() => renderToString(h(Orphan))).toThrow('no SocketDBProvider above this component');
	});
});
