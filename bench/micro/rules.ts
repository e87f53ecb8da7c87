// Micro-benchmark: what a write costs the rules plugin to decide, under a three-level rule tree,
// through the plugin's public testing helper (the same code the plugin runs in its hooks).
// `tsx bench/micro/rules.ts [writes]`; `npm run bench` runs it as W15 (its last line is the figures as JSON).
import { testRules } from '@socketdb/plugin-rules/testing';
import { performance } from 'node:perf_hooks';

const writes = Number(process.argv[2] ?? 500_000);

const threeLevels = testRules(
	{
		users: {
			'.read': true,
			$uid: {
				'.write': ({ auth, params }) => auth['uid'] === params['uid'],
				name: { '.validate': ({ newData }) => typeof newData === 'string' && newData.length < 100 },
			},
		},
	},
	{ auth: { uid: 'ada' } },
);
// The same question with nothing to evaluate but one grant at the root: what asking costs by itself.
const oneGrant = testRules({ '.write': true }, { auth: { uid: 'ada' } });

function measure(tester: typeof threeLevels): number {
	let allowed = 0;
	for (let i = 0; i < writes / 10; i++) if (tester.canWrite('users/ada/name', 'Ada') === true) allowed++;
	const start = performance.now();
	for (let i = 0; i < writes; i++) if (tester.canWrite('users/ada/name', 'Ada') === true) allowed++;
	const micros = ((performance.now() - start) * 1000) / writes;
	if (allowed !== writes + writes / 10) throw new Error('a write was refused');
	return micros;
}

const base = measure(oneGrant);
const ruled = measure(threeLevels);
console.log(`one grant at the root: ${base.toFixed(3)} µs per write decided`);
console.log(`three-level tree ($uid .write, .validate): ${ruled.toFixed(3)} µs per write decided`);
console.log(`rule evaluation under the tree: ${(ruled - base).toFixed(3)} µs per write`);
console.log(JSON.stringify({ baseMicros: base, ruledMicros: ruled, ruleMicros: ruled - base }));
