// Coercion of the values miners send (shared/reference/miners.md §1.5): numbers as strings, empty
// strings, "nan", dash-packed sensor lists, sparse slot numbering, rates in GH/s or MH/s. Every
// helper returns null for anything it cannot read with confidence; none returns 0 for unknown.

import { isRecord } from '../../../protocols/cgminer/status.js';

export { isRecord };
export type Rec = Readonly<Record<string, unknown>>;

const NUMERIC = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** A finite number, or a numeric string ("14046.04", " 656 "); anything else is null. */
export function num(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v !== 'string') return null;
  const t = v.trim();
  if (!NUMERIC.test(t)) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/** A positive reading; 0 and negatives are "no sensor" (dash lists, empty slots). */
export function positive(v: unknown): number | null {
  const n = num(v);
  return n !== null && n > 0 ? n : null;
}

/** A non-empty string, trimmed, with stray quotes removed (WM "'20210322.22.REL'"). */
export function str(v: unknown): string | null {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') return null;
  const t = v.trim().replace(/^['"]+|['"]+$/g, '').trim();
  return t ? t : null;
}

/** true/false, "true"/"false" (WM v3 "working":"true"), "Y"/"N"; else null. */
export function bool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (typeof v !== 'string') return null;
  const t = v.trim().toLowerCase();
  if (t === 'true' || t === 'y' || t === 'yes') return true;
  if (t === 'false' || t === 'n' || t === 'no') return false;
  return null;
}

/** "78-50-69-70" → [78, 50, 69, 70]; 0 means an absent sensor and is dropped. */
export function dashList(v: unknown): number[] {
  if (Array.isArray(v)) return v.map(positive).filter((x): x is number => x !== null);
  const s = str(v);
  if (!s) return [];
  return s.split('-').map(positive).filter((x): x is number => x !== null);
}

export function maxOf(xs: readonly (number | null)[]): number | null {
  let m: number | null = null;
  for (const x of xs) if (x !== null && (m === null || x > m)) m = x;
  return m;
}

export function sumOf(xs: readonly (number | null)[]): number | null {
  if (!xs.length || xs.some((x) => x === null)) return null;
  return xs.reduce<number>((s, x) => s + (x as number), 0);
}

/**
 * The populated indices of a sparse family of keys ("chain_acn1".."chain_acn16", "fan1".."fan8"),
 * in order. A slot counts when `populated` accepts its value (default: a positive number).
 * S9 uses chains 6, 7, 8 and fans 3 and 6; S19 uses 1–3 and 1–4: callers renumber to 0..n.
 */
export function populatedSlots(r: Rec, prefix: string, populated: (v: unknown) => boolean = (v) => positive(v) !== null): number[] {
  const out: number[] = [];
  const re = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\d+)$`);
  for (const [k, v] of Object.entries(r)) {
    const m = re.exec(k);
    if (m && populated(v)) out.push(Number(m[1]));
  }
  return out.sort((a, b) => a - b);
}

const RATE_DIVISOR: Readonly<Record<string, number>> = { H: 1e12, KH: 1e9, MH: 1e6, GH: 1e3, TH: 1, PH: 1e-3 };

/** A hashrate in `unit` ("GH", "GH/s", "MH", "TH/s"…) as TH/s. Unknown units give null. */
export function toTHs(v: unknown, unit: string): number | null {
  const n = num(v);
  const d = RATE_DIVISOR[unit.toUpperCase().replace(/\/S$/, '').trim()];
  return n === null || d === undefined ? null : n / d;
}

/** Chip status string (" ooo oxo - "): the number of good chips ('o'). */
export function goodChips(v: unknown): number | null {
  if (typeof v !== 'string' || !v.trim()) return null;
  return [...v].filter((c) => c === 'o').length;
}

export function list(v: unknown): Rec[] {
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

/**
 * The entries of a reply section ("SUMMARY", "DEVS"…). Works on a single-command reply and on
 * one section of a multi-command reply ({"summary":[{ "STATUS":…, "SUMMARY":[…] }]}).
 */
export function section(reply: unknown, name: string): Rec[] {
  if (!isRecord(reply)) return [];
  const direct = reply[name];
  if (direct !== undefined) return Array.isArray(direct) ? list(direct) : isRecord(direct) ? [direct] : [];
  const multi = reply[name.toLowerCase()];
  if (Array.isArray(multi) && isRecord(multi[0])) return section(multi[0], name);
  return [];
}

/** Seconds from "0:00:03" / "1d 2h…" style durations; plain numbers pass through. */
export function seconds(v: unknown): number | null {
  const n = num(v);
  if (n !== null) return n;
  const s = str(v);
  const m = s ? /^(\d+):(\d{2}):(\d{2})$/.exec(s) : null;
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : null;
}
