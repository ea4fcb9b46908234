// `make bench`: runs the benchmark sections, merges their numbers into bench/results.json (flat
// keys, numbers only; sections not run keep their previous values), writes the machine they ran
// on to bench/machine.json, and prints a table. `--only PREFIX` runs the sections with keys
// starting with PREFIX; where one section's prefix names PREFIX more closely than another's
// (agent.cpu_pct_full_rack vs agent.cpu_pct), only the closer one runs.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machine, meets } from './harness.js';
import { SECTIONS } from './sections/index.js';

const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] ?? '' : '';
/** How closely a section's prefixes match `only`: the longest that `only` extends, or all of `only`. */
const closeness = (s: (typeof SECTIONS)[number]): number =>
  Math.max(0, ...s.prefixes.map((p) => (p.startsWith(only) ? only.length : only.startsWith(p) ? p.length : 0)));
const best = Math.max(...SECTIONS.map(closeness));
const chosen = SECTIONS.filter((s) => !only || (best > 0 && closeness(s) === best));
if (!chosen.length) {
  console.error(`no benchmark section matches "${only}"; sections: ${SECTIONS.map((s) => s.prefixes.join(',')).join(' ')}`);
  process.exit(2);
}

const file = join(process.cwd(), 'bench/results.json');
const results: Record<string, number> = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>) : {};
const m = machine();
console.log(`machine: ${m['cpu']} ×${m['cores']}, ${m['memGiB']} GiB, node ${m['node']} ${m['platform']}-${m['arch']}`);
const rows: [string, number, string, string][] = [];
let failed = false;
for (const s of chosen) {
  const t0 = performance.now();
  process.stdout.write(`running ${s.name} … `);
  let out: Record<string, number>;
  try {
    out = await s.run();
  } catch (err) {
    failed = true;
    console.log(`failed: ${(err as Error).stack ?? String(err)}`);
    continue;
  }
  console.log(`${((performance.now() - t0) / 1000).toFixed(1)} s`);
  for (const [k, v] of Object.entries(out)) {
    if (only && !k.startsWith(only)) continue;
    results[k] = v;
    const t = s.targets?.[k];
    rows.push([k, v, t ? `${t.op} ${t.value}` : '', t ? (meets(v, t) ? 'ok' : 'MISSED') : s.notes?.[k] ?? '']);
  }
}
const sorted = Object.fromEntries(Object.entries(results).sort(([a], [b]) => a.localeCompare(b)));
writeFileSync(file, JSON.stringify(sorted, null, 2) + '\n');
writeFileSync(join(process.cwd(), 'bench/machine.json'), JSON.stringify({ ...m, date: new Date().toISOString() }, null, 2) + '\n');

const w = [Math.max(3, ...rows.map((r) => r[0].length)), 12, 10];
console.log(`\n${'key'.padEnd(w[0]!)}  ${'value'.padStart(w[1]!)}  ${'target'.padEnd(w[2]!)}  status / note`);
console.log(`${'-'.repeat(w[0]!)}  ${'-'.repeat(w[1]!)}  ${'-'.repeat(w[2]!)}  ${'-'.repeat(20)}`);
for (const [k, v, t, s] of rows) console.log(`${k.padEnd(w[0]!)}  ${String(v).padStart(w[1]!)}  ${t.padEnd(w[2]!)}  ${s}`);
console.log(`\nwrote ${file}`);
process.exit(failed ? 1 : 0);
