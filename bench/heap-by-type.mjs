// Aggregates a .heapsnapshot's self sizes by constructor name: node bench/heap-by-type.mjs before after [top]
import { readFileSync } from 'node:fs';

function byType(file) {
	const snapshot = JSON.parse(readFileSync(file, 'utf8'));
	const { node_fields: fields, node_types: [types] } = snapshot.snapshot.meta;
	const width = fields.length;
	const typeIndex = fields.indexOf('type');
	const nameIndex = fields.indexOf('name');
	const sizeIndex = fields.indexOf('self_size');
	const totals = new Map();
	for (let i = 0; i < snapshot.nodes.length; i += width) {
		const type = types[snapshot.nodes[i + typeIndex]];
		const name = type === 'object' || type === 'closure' ? `${type}:${snapshot.strings[snapshot.nodes[i + nameIndex]]}` : type;
		const entry = totals.get(name) ?? { count: 0, size: 0 };
		entry.count++;
		entry.size += snapshot.nodes[i + sizeIndex];
		totals.set(name, entry);
	}
	return totals;
}

const [beforeFile, afterFile, top = '30'] = process.argv.slice(2);
const before = byType(beforeFile);
const after = byType(afterFile);
const rows = [...after].map(([name, entry]) => ({ name, count: entry.count - (before.get(name)?.count ?? 0), size: entry.size - (before.get(name)?.size ?? 0) }));
rows.sort((a, b) => b.size - a.size);
for (const row of rows.slice(0, Number(top))) console.log(`${String(row.size).padStart(10)} B  ${String(row.count).padStart(7)}  ${row.name}`);
