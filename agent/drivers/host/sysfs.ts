// Temperatures and network counters straight from /sys, with async reads (systeminformation's
// cpuTemperature() blocks on a synchronous child process and its networkStats() answers 0 on failure: reference
// gpu-and-host.md §5.5). Each function returns a value or the reason there is none.

import type { HostSystem } from './system.js';
import { sys } from './system.js';

export type Value = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly reason: string };

/** A temperature sensor file, millidegrees Celsius. */
export interface Sensor {
  readonly path: string;
  /** hwmon chip name or thermal zone type, e.g. "coretemp", "x86_pkg_temp". */
  readonly source: string;
  readonly cpu: boolean;
}

/**
 * Sensor sources that measure the CPU package or die (as data; one entry per driver):
 * coretemp (Intel), k10temp and zenpower (AMD), x86_pkg_temp (Intel thermal zone),
 * cpu_thermal / cpu-thermal / soc_thermal / soc-thermal (ARM boards: Raspberry Pi, Rockchip).
 */
export const CPU_SENSOR_SOURCES: ReadonlySet<string> = new Set(['coretemp', 'k10temp', 'zenpower', 'x86_pkg_temp', 'cpu_thermal', 'cpu-thermal', 'soc_thermal', 'soc-thermal']);

async function tryText(h: HostSystem, path: string): Promise<string | undefined> {
  try {
    return (await h.readText(path)).trim();
  } catch {
    return undefined;
  }
}

async function tryDir(h: HostSystem, path: string): Promise<string[]> {
  try {
    return await h.readDir(path);
  } catch {
    return [];
  }
}

/** Every temperature sensor under /sys/class/hwmon and /sys/class/thermal. */
export async function discoverSensors(h: HostSystem): Promise<Sensor[]> {
  const out: Sensor[] = [];
  for (const chip of (await tryDir(h, sys(h, 'class/hwmon'))).sort()) {
    const dir = sys(h, 'class/hwmon', chip);
    const name = (await tryText(h, `${dir}/name`)) ?? chip;
    for (const f of (await tryDir(h, dir)).filter((x) => /^temp\d+_input$/.test(x)).sort()) {
      out.push({ path: `${dir}/${f}`, source: name, cpu: CPU_SENSOR_SOURCES.has(name) });
    }
  }
  for (const zone of (await tryDir(h, sys(h, 'class/thermal'))).filter((z) => z.startsWith('thermal_zone')).sort()) {
    const dir = sys(h, 'class/thermal', zone);
    const type = (await tryText(h, `${dir}/type`)) ?? zone;
    out.push({ path: `${dir}/temp`, source: type, cpu: CPU_SENSOR_SOURCES.has(type) });
  }
  return out;
}

/** The hottest of `sensors` (°C), or why there is no value. */
export async function maxTemperature(h: HostSystem, sensors: readonly Sensor[], what: string): Promise<Value> {
  if (sensors.length === 0) return { ok: false, reason: `no ${what} sensor under ${sys(h, 'class/hwmon')} or ${sys(h, 'class/thermal')}` };
  let max = -Infinity;
  let lastErr = '';
  for (const s of sensors) {
    const raw = await tryText(h, s.path);
    const mC = raw === undefined ? NaN : Number(raw);
    if (Number.isFinite(mC)) max = Math.max(max, mC / 1000);
    else lastErr = `${s.path}: ${raw === undefined ? 'unreadable' : `"${raw}"`}`;
  }
  return max === -Infinity ? { ok: false, reason: `no ${what} sensor readable (${lastErr})` } : { ok: true, value: max };
}

/** Counters of one interface from /sys/class/net/<iface>/statistics. */
export const NET_COUNTERS = ['rx_bytes', 'tx_bytes', 'rx_errors', 'tx_errors', 'rx_dropped', 'tx_dropped'] as const;
export type NetCounter = (typeof NET_COUNTERS)[number];

export async function netCounters(h: HostSystem, iface: string): Promise<Record<NetCounter, Value>> {
  const dir = sys(h, 'class/net', iface, 'statistics');
  const values = await Promise.all(NET_COUNTERS.map(async (c): Promise<Value> => {
    const raw = await tryText(h, `${dir}/${c}`);
    if (raw === undefined) return { ok: false, reason: `${dir}/${c} unreadable (no interface ${iface}?)` };
    return /^\d+$/.test(raw) ? { ok: true, value: Number(raw) } : { ok: false, reason: `${dir}/${c}: "${raw}" is not a counter` };
  }));
  return Object.fromEntries(NET_COUNTERS.map((c, i) => [c, values[i] as Value])) as Record<NetCounter, Value>;
}
