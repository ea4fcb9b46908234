// `rackpilot diag gpu` output, as pure functions of what nvidia-smi returned: a table per GPU
// server for a field tech, or JSON where every unknown value is null (with its reason apart).

import { num, text, type Cell } from '../drivers/gpu/csv.js';
import { F, GPU_FIELDS, THROTTLE_REASONS } from '../drivers/gpu/fields.js';
import type { GpuRead } from '../drivers/gpu/reader.js';

export interface GpuHostReport {
  readonly device: string;
  readonly address: string;
  readonly read: GpuRead;
  readonly missingFields: readonly string[];
}

/** JSON: one object per host; per GPU every field by its nvidia-smi name, null when unknown. */
export function gpuReportJson(reports: readonly GpuHostReport[]): unknown {
  return {
    hosts: reports.map((r) => {
      const base = { device: r.device, address: r.address, ok: r.read.ok };
      if (!r.read.ok) return { ...base, error: r.read.message, quality: r.read.quality, gpus: [] };
      return {
        ...base,
        error: r.read.partial ?? null,
        durationMs: Math.round(r.read.durationMs),
        messages: r.read.messages,
        missingFields: r.missingFields,
        headerMismatches: r.read.mismatches,
        gpus: r.read.rows.map((row) => {
          const values: Record<string, number | string | null> = {};
          const unknown: Record<string, string> = {};
          for (const f of GPU_FIELDS) {
            const c = row[f.key];
            values[f.key] = c?.ok ? c.value : null;
            if (c && !c.ok) unknown[f.key] = c.reason;
          }
          return { values, unknown };
        }),
      };
    }),
  };
}

function w(c: Cell | undefined, digits = 0): string {
  const v = num(c);
  return v === null ? '?' : `${v.toFixed(digits)} W`;
}

function unit(c: Cell | undefined, u: string): string {
  const v = num(c);
  return v === null ? '?' : `${v.toFixed(0)} ${u}`;
}

export function throttleText(c: Cell | undefined): string {
  const v = num(c);
  if (v === null) return '?';
  const names = THROTTLE_REASONS.filter(([bit]) => (v & bit) !== 0).map(([, n]) => n);
  return names.length ? names.join(',') : '-';
}

const COLUMNS: readonly (readonly [title: string, width: number, cell: (r: Readonly<Record<string, Cell>>) => string])[] = [
  ['GPU', 3, (r) => text(r[F.index]) ?? '?'],
  ['POWER', 8, (r) => w(r[F.power], 1)],
  ['LIMIT', 6, (r) => w(r[F.limit])],
  ['ENFORCED', 8, (r) => w(r[F.enforced])],
  ['RANGE', 11, (r) => (num(r[F.minLimit]) === null || num(r[F.maxLimit]) === null ? '?' : `${num(r[F.minLimit])}-${num(r[F.maxLimit])} W`)],
  ['DEFAULT', 7, (r) => w(r[F.defaultLimit])],
  ['TEMP', 5, (r) => unit(r[F.temp], 'C')],
  ['MEM', 5, (r) => unit(r[F.memTemp], 'C')],
  ['UTIL', 5, (r) => unit(r[F.util], '%')],
  ['THROTTLE', 12, (r) => throttleText(r[F.throttle])],
  ['NAME', 0, (r) => text(r[F.name]) ?? '?'],
];

function line(cells: readonly string[]): string {
  return cells.map((c, i) => (i === 0 ? c.padStart(COLUMNS[0]?.[1] ?? 0) : c.padEnd(COLUMNS[i]?.[1] ?? 0))).join('  ').trimEnd();
}

/** Unknown values, grouped: "fan.speed: [N/A] (GPU 0-7)". */
function unknownLines(rows: readonly Readonly<Record<string, Cell>>[]): string[] {
  const groups = new Map<string, string[]>();
  rows.forEach((row, i) => {
    for (const f of GPU_FIELDS) {
      const c = row[f.key];
      if (c && !c.ok) {
        const k = `${f.key}: ${c.reason}`;
        groups.set(k, [...(groups.get(k) ?? []), text(row[F.index]) ?? String(i)]);
      }
    }
  });
  return [...groups].map(([k, gpus]) => `  ${k} (GPU ${gpus.length === rows.length && rows.length > 1 ? 'all' : gpus.join(',')})`);
}

export function gpuReportText(reports: readonly GpuHostReport[]): string {
  const out: string[] = [];
  for (const r of reports) {
    if (!r.read.ok) {
      out.push(`${r.device}  ${r.address}  FAILED: ${r.read.message}`, '');
      continue;
    }
    const rows = r.read.rows;
    const driver = text(rows[0]?.[F.driver]) ?? '?';
    out.push(`${r.device}  ${r.address}  driver ${driver}  ${rows.length} GPU${rows.length === 1 ? '' : 's'}  read in ${Math.round(r.read.durationMs)} ms`);
    out.push(line(COLUMNS.map(([t]) => t)));
    for (const row of rows) out.push(line(COLUMNS.map(([, , cell]) => cell(row))));
    const noPersist = rows.filter((row) => num(row['persistence_mode']) === 0).map((row) => text(row[F.index]) ?? '?');
    if (noPersist.length) out.push(`warning: persistence mode is off on GPU ${noPersist.join(',')}: every nvidia-smi call re-initialises the GPU; enable nvidia-persistenced`);
    if (r.read.partial) out.push(`warning: nvidia-smi: ${r.read.partial}`);
    for (const m of r.read.messages) out.push(`nvidia-smi says: ${m}`);
    if (r.read.mismatches.length) out.push(`warning: header differs from the query (columns reported unknown): ${r.read.mismatches.map((m) => `column ${m.column + 1} "${m.got}" (expected "${m.expected}")`).join('; ')}`);
    const unknown = unknownLines(rows);
    if (unknown.length) out.push('unknown values:', ...unknown);
    out.push('');
  }
  return out.join('\n');
}
