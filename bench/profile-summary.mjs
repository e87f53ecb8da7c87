// Prints the functions with the most self time in a .cpuprofile: node bench/profile-summary.mjs file [top] [--inclusive]
// --inclusive counts the time of everything a function called as its own too (each function once per sample).
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const inclusive = args.includes('--inclusive');
const [file, top = '25'] = args.filter((arg) => arg !== '--inclusive');
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
const nameOf = ({ callFrame }) => `${callFrame.functionName || '(anonymous)'} ${callFrame.url.split('/').slice(-2).join('/')}:${callFrame.lineNumber + 1}`;
const time = new Map();
const interval = (profile.endTime - profile.startTime) / profile.samples.length;
for (const id of profile.samples) {
	const names = new Set();
	for (let at = id; at !== undefined; at = inclusive ? parentOf.get(at) : undefined) names.add(nameOf(byId.get(at)));
	for (const name of names) time.set(name, (time.get(name) ?? 0) + interval);
}
const total = profile.samples.length * interval;
for (const [key, micros] of [...time].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
	console.log(`${((100 * micros) / total).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(0).padStart(6)} ms  ${key}`);
}
