/**
 * Summarizes a V8 `.cpuprofile` (from `--cpu-prof`, or BENCH_CPU_PROF=1): self time per function,
 * and total (inclusive) time of the functions whose name or file matches an optional filter, as
 * percentages of the samples. `node bench/.build/bench/profile-top.js <file> [rows] [filter]`.
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
}

const [file, rowsArg, filter] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const rows = Number(rowsArg ?? 30);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfCount = new Map<number, number>();
for (const s of profile.samples) selfCount.set(s, (selfCount.get(s) ?? 0) + 1);
const total = profile.samples.length;

const label = (n: Node) => {
  const url = n.callFrame.url
    .replace(/^file:\/\//, '')
    .replace(/.*node_modules\//, '~/')
    .replace(/.*\/(src|bench)\//, '$1/');
  return `${n.callFrame.functionName || '(anonymous)'} ${url}${url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
};

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, count] of selfCount) {
  const n = byId.get(id)!;
  self.set(label(n), (self.get(label(n)) ?? 0) + count);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur)!);
    if (seen.has(l)) continue;
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + count);
  }
}
const pct = (c: number) => `${((100 * c) / total).toFixed(1).padStart(5)}%`;
console.log(`${total} samples`);
console.log('self:');
for (const [l, c] of [...self].sort((a, b) => b[1] - a[1]).slice(0, rows)) console.log(`  ${pct(c)}  ${l}`);
if (filter) {
  const re = new RegExp(filter);
  console.log(`inclusive (${filter}):`);
  for (const [l, c] of [...inclusive]
    .filter(([l]) => re.test(l))
    .sort((a, b) => b[1] - a[1])
    .slice(0, rows))
    console.log(`  ${pct(c)}  ${l}`);
}
