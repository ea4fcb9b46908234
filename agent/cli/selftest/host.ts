// Self-test of the rack controller itself (type: host): one read of its CPU, memory, disks and
// temperatures through the agent's driver, with the limits that make a controller unreliable.

import { seriesKey } from '../../core/series.js';
import type { DeviceDriver, PollResult } from '../../drivers/types.js';
import { row, type CheckRow } from '../check-table.js';
import type { DeviceResult } from './types.js';

/**
 * One fresh read, now: a driver that streams (a GPU server's nvidia-smi -lms) offers `readNow`, a
 * one-shot call; any other driver reads when polled.
 */
export async function readOnce(d: DeviceDriver & { readNow?(signal: AbortSignal): Promise<PollResult> }, signal: AbortSignal): Promise<PollResult> {
  return d.readNow ? d.readNow(signal) : d.poll(signal);
}

export async function probeHost(id: string, d: DeviceDriver, signal: AbortSignal): Promise<DeviceResult> {
  const r = await readOnce(d, signal);
  const ok = r.samples.filter((s) => s.reading.quality === 'ok').length;
  const rows: CheckRow[] = [row(id, 'reach', r.failed ? 'warn' : 'pass', `${ok} of ${r.samples.length} host values read${r.error ? ` (${r.error})` : ''}`)];
  const v = new Map(r.samples.map((s) => [s.key, s.reading.value]));
  const at = (quantity: string, channel = ''): number | null => v.get(seriesKey(id, quantity, channel)) ?? null;
  const problems: string[] = [];
  for (const s of d.series) {
    const free = at(s.quantity, s.channel);
    const total = at('host.disk.total', s.channel);
    if (s.quantity === 'host.disk.available' && free !== null && total && free / total < 0.1) problems.push(`disk ${s.channel} ${((free / total) * 100).toFixed(0)} % free (the spool and logs need room)`);
  }
  const temp = at('host.temperature.max');
  if (temp !== null && temp >= 85) problems.push(`${temp.toFixed(0)} °C inside`);
  const memTotal = at('host.memory.total');
  const memAvail = at('host.memory.available');
  if (memTotal && memAvail !== null && memAvail / memTotal < 0.05) problems.push(`${((memAvail / memTotal) * 100).toFixed(0)} % memory available`);
  rows.push(problems.length ? row(id, 'readings', 'warn', problems.join('; '), 'free disk space / memory on the controller, check its cooling') : row(id, 'readings', 'pass', `disks, memory${memTotal ? ` (${(memTotal / 2 ** 30).toFixed(1)} GiB)` : ''} and temperatures fine`));
  return { rows, facts: { id, kind: 'host', reached: r.requests > 0, identity: {} } };
}
