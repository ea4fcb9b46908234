// Pure parser for `nvidia-smi --query-gpu=… --format=csv,nounits` output (with its header line);
// rowCells() also parses the rows of a header-less stream (stream.ts) against a checked header.
// Columns are mapped by query order and the header is checked against what each column should be
// called; values that are not values (`[N/A]`, `[Not Supported]`, …) become null with the reason
// kept, never a number (reference gpu-and-host.md §1.1, §1.3).

import type { BadQuality } from '../../core/reading.js';
import type { GpuField, GpuValueType } from './fields.js';

export type Cell =
  | { readonly ok: true; readonly value: number | string }
  | { readonly ok: false; readonly quality: BadQuality; readonly reason: string };

export interface HeaderMismatch {
  readonly column: number;
  readonly key: string;
  readonly expected: string;
  readonly got: string;
}

export interface ParsedQuery {
  /** False when no header line was found: every value is then unknown (it cannot be checked). */
  readonly headerFound: boolean;
  readonly mismatches: readonly HeaderMismatch[];
  /** One record per GPU row, by field key. */
  readonly rows: readonly Readonly<Record<string, Cell>>[];
  /** Lines that are neither the header nor a row: nvidia-smi's own messages, kept for diag. */
  readonly stray: readonly string[];
}

/**
 * Bracketed placeholders seen in practice and what they mean for a reading. Any other
 * "[…]" is a device error with its text as the reason.
 */
const PLACEHOLDERS: ReadonlyMap<string, BadQuality> = new Map([
  ['N/A', 'unsupported'], // field not available on this GPU (GeForce, passive cooling, MIG)
  ['Not Supported', 'unsupported'], // GeForce GTX 770 (tutulino/Megaminer #235)
  ['Insufficient Permissions', 'device_error'],
  ['Unknown Error', 'device_error'],
  ['GPU requires reset', 'device_error'],
  ['GPU is lost', 'device_error'],
]);

/** `-q`/XML style values that may leak into CSV on some drivers (Telegraf filters both). */
const UNBRACKETED_UNKNOWN: ReadonlyMap<string, string> = new Map([
  ['N/A', 'N/A'],
  ['Requested functionality has been deprecated', 'deprecated by the driver'],
]);

const SEP = ', ';

/** Splits a row: the first n-1 columns at ", ", the last column (free text) takes the rest. */
export function splitRow(line: string, n: number): string[] | undefined {
  const out: string[] = [];
  let from = 0;
  for (let i = 0; i < n - 1; i++) {
    const at = line.indexOf(SEP, from);
    if (at === -1) return undefined;
    out.push(line.slice(from, at));
    from = at + SEP.length;
  }
  out.push(line.slice(from));
  return out;
}

export function parseCell(raw: string, type: GpuValueType): Cell {
  const v = raw.trim();
  if (v.startsWith('[') && v.endsWith(']')) {
    const text = v.slice(1, -1);
    return { ok: false, quality: PLACEHOLDERS.get(text) ?? 'device_error', reason: v };
  }
  const unknown = UNBRACKETED_UNKNOWN.get(v);
  if (unknown !== undefined) return { ok: false, quality: 'unsupported', reason: unknown };
  switch (type) {
    case 'text':
      return v === '' ? { ok: false, quality: 'invalid', reason: 'empty' } : { ok: true, value: v };
    case 'number':
      return /^-?\d+(\.\d+)?$/.test(v) ? { ok: true, value: Number(v) } : invalid(v, 'a number');
    case 'hex': {
      if (!/^0x[0-9a-fA-F]{1,16}$/.test(v)) return invalid(v, 'a hex bitmask');
      const n = BigInt(v);
      return n <= BigInt(Number.MAX_SAFE_INTEGER) ? { ok: true, value: Number(n) } : invalid(v, 'a bitmask below 2^53');
    }
    case 'enabled':
      return v === 'Enabled' ? { ok: true, value: 1 } : v === 'Disabled' ? { ok: true, value: 0 } : invalid(v, 'Enabled or Disabled');
    case 'pstate': {
      const m = /^P(\d{1,2})$/.exec(v);
      return m ? { ok: true, value: Number(m[1]) } : invalid(v, 'a P-state (P0…P15)');
    }
  }
}

function invalid(v: string, what: string): Cell {
  return { ok: false, quality: 'invalid', reason: `"${v.length > 40 ? v.slice(0, 40) + '…' : v}" is not ${what}` };
}

/** The header names a column may show: each accepted name, alone or with " [unit]". */
function headerMatches(got: string, f: GpuField, spelling: string): boolean {
  const names = [spelling, ...f.query, ...(f.headers ?? [])];
  const m = /^(.*?)(?: \[([^\]]+)\])?$/.exec(got);
  const name = m?.[1] ?? got;
  const unit = m?.[2];
  return names.includes(name) && (unit === undefined || unit === f.unit);
}

function expectedHeader(f: GpuField, spelling: string): string {
  return f.unit ? `${spelling} [${f.unit}]` : spelling;
}

/**
 * Parses the output of one query. `columns` are the fields in query order with the spelling
 * each was queried under. Never throws: anything unexpected becomes a stray line, a header
 * mismatch, or an invalid cell.
 */
export function parseQueryCsv(text: string, columns: readonly { readonly field: GpuField; readonly spelling: string }[]): ParsedQuery {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
  const first = columns[0];
  const headerAt = first ? lines.findIndex((l) => headerMatches(l.split(SEP)[0]?.trim() ?? '', first.field, first.spelling)) : -1;
  const stray: string[] = headerAt === -1 ? [] : lines.slice(0, headerAt);
  const mismatches: HeaderMismatch[] = [];
  if (headerAt !== -1) {
    const names = (lines[headerAt] as string).split(SEP).map((h) => h.trim());
    columns.forEach((c, i) => {
      const got = names[i] ?? '(missing)';
      if (!headerMatches(got, c.field, c.spelling)) mismatches.push({ column: i, key: c.field.key, expected: expectedHeader(c.field, c.spelling), got });
    });
    if (names.length > columns.length && mismatches.length === 0) {
      mismatches.push({ column: columns.length, key: '(extra)', expected: '(end of header)', got: names.slice(columns.length).join(SEP) });
    }
  }
  const rows: Record<string, Cell>[] = [];
  for (const line of headerAt === -1 ? lines : lines.slice(headerAt + 1)) {
    const cells = splitRow(line, columns.length);
    if (cells) rows.push(rowCells(cells, columns, headerAt === -1 ? 'no header' : mismatches));
    else stray.push(line);
  }
  return { headerFound: headerAt !== -1, mismatches, rows, stray };
}

/**
 * One row's cells by field key. Columns whose header did not match what was asked (or every
 * column, when there was no header to check them against) are invalid, never read.
 */
export function rowCells(cells: readonly string[], columns: readonly { readonly field: GpuField }[], header: readonly HeaderMismatch[] | 'no header'): Record<string, Cell> {
  const row: Record<string, Cell> = {};
  columns.forEach((c, i) => {
    const m = header === 'no header' ? undefined : header.find((x) => x.column === i);
    row[c.field.key] = header === 'no header'
      ? { ok: false, quality: 'invalid', reason: 'no header line in nvidia-smi output: columns cannot be checked' }
      : m
        ? { ok: false, quality: 'invalid', reason: `column ${i + 1} is "${m.got}", expected "${m.expected}" (field renamed or reordered by the driver)` }
        : parseCell(cells[i] ?? '', c.field.type);
  });
  return row;
}

/** The numeric value of a cell, or null. */
export function num(c: Cell | undefined): number | null {
  return c?.ok && typeof c.value === 'number' ? c.value : null;
}

/** The text value of a cell, or null. */
export function text(c: Cell | undefined): string | null {
  return c?.ok ? String(c.value) : null;
}
