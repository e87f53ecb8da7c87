// Renders bench/results/latest.json as the markdown table of docs/performance.md:
// node bench/report.mjs [results.json]
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2] ?? 'bench/results/latest.json', 'utf8'));
const format = (value) => (Number.isNaN(value) || value === null ? 'n/a' : Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(2));
const range = (s) => `${format(s.median)} (${format(s.min)}–${format(s.max)})`;

console.log(`Measured ${report.date.slice(0, 10)} on ${report.machine.cpus} × ${report.machine.cpuModel}, Node ${report.machine.node}; ${report.repetitions} repetitions, ${report.durationSeconds} s in all.\n`);
console.log('| workload | metric | project, median (min–max) | baseline, median (min–max) | project / baseline per repetition |');
console.log('|---|---|---|---|---|');
for (const scenario of report.scenarios) {
	for (const [name, metric] of Object.entries(scenario.metrics)) {
		console.log(`| ${scenario.workload} ${scenario.name} | ${name} [${metric.unit}] | ${range(metric.projectSummary)} | ${range(metric.baselineSummary)} | ${metric.ratios.map(format).join(', ')} |`);
	}
}
if (report.bundle) console.log(`| W6 client bundle | min+gzip [KB] | ${(report.bundle.gzipBytes / 1024).toFixed(1)} | (budget 22) | |`);
