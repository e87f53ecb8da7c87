// Prints the functions with the most self time in a .cpuprofile: node bench/profile-summary.mjs file [top]
import { readFileSync } from 'node:fs';

const [file, top = '25'] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map();
const interval = (profile.endTime - profile.startTime) / profile.samples.length;
for (const id of profile.samples) {
	const { callFrame } = byId.get(id);
	const key = `${callFrame.functionName || '(anonymous)'} ${callFrame.url.split('/').slice(-2).join('/')}:${callFrame.lineNumber + 1}`;
	self.set(key, (self.get(key) ?? 0) + interval);
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
for (const [key, micros] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
	console.log(`${((100 * micros) / total).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(0).padStart(6)} ms  ${key}`);
}
