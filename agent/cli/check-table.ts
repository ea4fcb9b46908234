// The pass/fail table of `diag selftest` and `diag hub`: one row per check, the reason for
// anything that is not a pass, and the fix a field tech can act on. JSON is the same rows.

import { style, type Style } from './modbus-target.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckRow {
  /** What was checked: a device id, or "hub". */
  readonly subject: string;
  /** Which check: "reach", "identity", "readings", "wiring", "credentials", "actuator", "dns"… */
  readonly check: string;
  readonly status: CheckStatus;
  /** What was found (for a pass: the evidence; otherwise: what is wrong). */
  readonly detail: string;
  /** What to do about it (failures and warnings). */
  readonly fix?: string;
}

const MARK: Readonly<Record<CheckStatus, string>> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

export function row(subject: string, check: string, status: CheckStatus, detail: string, fix?: string): CheckRow {
  return fix === undefined ? { subject, check, status, detail } : { subject, check, status, detail, fix };
}

/** Aligned rows; a fix goes on its own line under its row, marked "→". */
export function checkTable(rows: readonly CheckRow[], tty: boolean | undefined, subjectTitle = 'DEVICE'): string {
  const s: Style = style(tty);
  const paint = (st: CheckStatus, t: string): string => (st === 'pass' ? s.ok(t) : st === 'fail' ? s.bad(t) : st === 'warn' ? s.bold(t) : s.dim(t));
  const ws = Math.max(subjectTitle.length, ...rows.map((r) => r.subject.length));
  const wc = Math.max(5, ...rows.map((r) => r.check.length));
  const out = [s.dim(`${subjectTitle.padEnd(ws)}  ${'CHECK'.padEnd(wc)}  RESULT  DETAIL`)];
  for (const r of rows) {
    out.push(`${r.subject.padEnd(ws)}  ${r.check.padEnd(wc)}  ${paint(r.status, MARK[r.status].padEnd(6))}  ${r.detail}`);
    if (r.fix && r.status !== 'pass') out.push(`${' '.repeat(ws + wc + 12)}${s.bold('→')} ${r.fix}`);
  }
  return out.join('\n') + '\n';
}

export function countOf(rows: readonly CheckRow[]): Readonly<Record<CheckStatus, number>> {
  const c = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const r of rows) c[r.status]++;
  return c;
}

/** "12 passed, 2 failed, 1 warning, 3 skipped" */
export function summaryLine(rows: readonly CheckRow[]): string {
  const c = countOf(rows);
  return [`${c.pass} passed`, `${c.fail} failed`, ...(c.warn ? [`${c.warn} warning${c.warn === 1 ? '' : 's'}`] : []), ...(c.skip ? [`${c.skip} skipped`] : [])].join(', ');
}
