// How a miner reads to a field tech: the normalised data as text (diag miner probe) and the
// capabilities line. Unknown values print as "?", never as 0.

import type { MinerData } from '../drivers/miner/data.js';
import type { MinerDriver } from '../drivers/miner/driver.js';
import type { ActuatorCapabilities } from '../drivers/types.js';

const q = (v: number | null, digits = 0, unit = ''): string => (v === null ? '?' : `${v.toFixed(digits)}${unit}`);

function duration(s: number | null): string {
  if (s === null) return '?';
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d ? `${d}d ${h}h ${String(m).padStart(2, '0')}m` : `${h}h ${String(m).padStart(2, '0')}m`;
}

export function powerText(d: MinerData): string {
  if (d.powerW === null) return '?';
  return `${d.powerW.toFixed(0)} W (${d.powerSource === 'estimated' ? 'estimated from the model' : 'miner-reported'})`;
}

function table(rows: readonly string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
}

export function capabilitiesText(c: ActuatorCapabilities, settle: Readonly<Partial<Record<string, number>>>): string {
  const s = (k: string): string => (settle[k] !== undefined ? ` ~${Math.round((settle[k] ?? 0) / 1000)} s` : '');
  const parts = [c.pause ? `pause${s('pause')} / resume${s('resume')}` : 'no pause'];
  parts.push(c.setPower ? `power target ${c.setPower.minW}–${c.setPower.maxW} W${s('set_power')}` : 'no power target');
  return parts.join(' · ');
}

/** The probe report: identity, state, power, boards, fans, pools, errors, what failed. */
export function minerReport(driver: MinerDriver, address: string): string {
  const last = driver.last;
  const fw = driver.firmware;
  const lines: string[] = [];
  const d = last?.data;
  lines.push(`${address}  ${fw ? `${fw.module.label} ${d?.firmwareVersion ?? ''}`.trim() : 'firmware unknown'}${fw ? `  (${fw.detection.evidence})` : ''}`);
  if (!d) return lines.join('\n') + '\n';
  const row = (k: string, v: string): number => lines.push(`${k.padEnd(10)} ${v}`);
  row('model', `${d.model ?? '?'}${d.make ? ` (${d.make})` : ''}`);
  row('state', `${d.state ?? '?'}${d.powerMode ? ` · mode ${d.powerMode}` : ''} · target ${d.powerTargetW === null ? 'none' : `${d.powerTargetW} W`}`);
  row('hashrate', `${q(d.hashrateTHs, 2, ' TH/s')}${d.expectedHashrateTHs !== null ? ` (expected ${d.expectedHashrateTHs.toFixed(2)})` : ''}`);
  row('power', `${powerText(d)} · ${q(d.efficiencyJTH, 1, ' J/TH')}`);
  row('uptime', duration(d.uptimeS));
  if (d.boards.length) {
    const rows = [['#', 'TH/s', 'board °C', 'chip °C', 'chips'], ...d.boards.map((b) => [String(b.index + 1), q(b.hashrateTHs, 2), q(b.boardTempC, 1), q(b.chipTempC, 1), `${q(b.chips)}${b.expectedChips !== null && b.expectedChips !== b.chips ? `/${b.expectedChips}` : ''}`])];
    table(rows).forEach((r, i) => row(i ? '' : 'boards', r));
  }
  row('fans', d.fans.length ? `${d.fans.map((f) => q(f.rpm)).join(' ')} rpm` : '?');
  for (const [i, p] of d.pools.entries()) row(i ? '' : 'pools', `${p.index} ${p.url || '?'} ${p.status ?? '?'}${p.active ? ' active' : ''}${p.accepted !== null ? `  accepted ${p.accepted} rejected ${p.rejected ?? '?'}` : ''}`);
  row('errors', d.errors.length ? d.errors.map((e) => `${e.code ?? ''} ${e.message}${e.time ? ` (${e.time})` : ''}`.trim()).join('; ') : 'none');
  const a = driver.actuators()[0];
  if (a) row('control', capabilitiesText(a.capabilities, a.settleByCommand ?? {}));
  for (const f of last.failures) row('not read', `${f.source}: ${f.error.message}`);
  return lines.join('\n') + '\n';
}
