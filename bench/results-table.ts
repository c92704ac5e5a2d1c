/**
 * Prints results.json as the Markdown table of bench/README.md ("Latest figures"):
 * `node bench/.build/bench/results-table.js`.
 */
import { readFileSync } from 'node:fs';

interface Entry {
  name: string;
  ratio?: number;
  valueMicros?: number;
  valueMs?: number;
  reqPerSec?: number;
  jwksFetches?: number;
  entries?: number;
  target?: number;
  targetOf?: string;
  met?: boolean;
  noisy?: boolean;
  noise?: number;
  loadAverage1m?: number;
  [key: string]: unknown;
}

const results = JSON.parse(readFileSync(new URL('../../results.json', import.meta.url), 'utf8')) as { machine: string; loadAverage?: number[]; cases: Entry[] };
const n = (v: number, digits = 0) => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function value(e: Entry): string {
  if (e.jwksFetches !== undefined && e.targetOf?.startsWith('jwksFetches')) return `${e.jwksFetches} fetch`;
  if (e.ratio !== undefined) return n(e.ratio, 3);
  if (e.valueMicros !== undefined) return `${n(e.valueMicros, 1)} µs`;
  if (e.valueMs !== undefined) return `${n(e.valueMs, 2)} ms`;
  if (e.jwksFetches !== undefined) return `${e.jwksFetches} fetch`;
  if (e.entries !== undefined) return `${n(e.entries)} entries`;
  if (e.reqPerSec !== undefined) return `${n(e.reqPerSec)}/s`;
  return String(e.skipped ?? '');
}

function target(e: Entry): string {
  if (e.target === undefined) return '';
  const op = e.targetOf?.includes('>=') ? '≥' : e.targetOf?.includes('==') ? '=' : '≤';
  const unit = e.targetOf?.startsWith('µs') || e.targetOf?.startsWith('extra') ? ' µs' : e.targetOf?.startsWith('reqPerSec') ? '/s (peer)' : '';
  return `${op} ${n(e.target, e.target < 10 ? 2 : 0)}${unit}`;
}

const verdict = (e: Entry) => (e.met === undefined ? '' : e.met ? 'met' : e.noisy ? 'not settled (noisy)' : 'missed');
/** In-process cases are judged on quartiles (of the blocks, or of the paired differences to bare passport-jwt). */
function spread(e: Entry): string {
  const q = (e.quartilesMicros ?? e.overheadQuartilesMicros) as [number, number] | undefined;
  if (q) return `${e.overheadQuartilesMicros ? 'over bare: ' : ''}quartiles ${n(q[0], 1)} to ${n(q[1], 1)} µs`;
  return e.noise !== undefined ? `noise ${n(e.noise, 3)}` : '';
}
const context = (e: Entry) => [spread(e), e.loadAverage1m !== undefined ? `load ${n(e.loadAverage1m, 1)}` : ''].filter(Boolean).join(', ');

console.log(`Run: ${results.machine}; load average at the end ${results.loadAverage?.join(' / ') ?? '?'} (1 / 5 / 15 min).\n`);
console.log('| Case | Value | Target | | Noise (or quartiles), load |');
console.log('|---|---:|---|---|---|');
for (const e of results.cases) console.log(`| \`${e.name}\` | ${value(e)} | ${target(e)} | ${verdict(e)} | ${context(e)} |`);
