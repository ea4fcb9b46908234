// A miner's series and how normalised data becomes samples. The series are fixed by config
// (board and fan counts); a value the miner did not give is a bad sample that says why: the
// error of the command that should have given it, or "unsupported" when the firmware does not
// report it.

import { bad, checked, type Reading, type Sample } from '../../core/reading.js';
import { seriesKey, type SeriesSpec } from '../../core/series.js';
import { isMining, type MinerData } from './data.js';
import { qualityOf, type MinerError } from './errors.js';
import type { Group, SourceFailure } from './firmware/types.js';

interface Quantity {
  readonly quantity: string;
  readonly unit: string;
  readonly scaleExp: number;
  readonly kind: SeriesSpec['kind'];
  readonly group: Group;
  readonly value: (d: MinerData, channel: number) => number | null;
}

const bool01 = (b: boolean | null): number | null => (b === null ? null : b ? 1 : 0);

const MINER: readonly Quantity[] = [
  { quantity: 'miner.hashrate', unit: 'TH/s', scaleExp: -2, kind: 'gauge', group: 'hashrate', value: (d) => d.hashrateTHs },
  { quantity: 'miner.power', unit: 'W', scaleExp: 0, kind: 'gauge', group: 'power', value: (d) => d.powerW },
  { quantity: 'miner.power_estimated', unit: '', scaleExp: 0, kind: 'state', group: 'power', value: (d) => (d.powerSource === null ? null : d.powerSource === 'estimated' ? 1 : 0) },
  { quantity: 'miner.efficiency', unit: 'J/TH', scaleExp: -2, kind: 'gauge', group: 'power', value: (d) => d.efficiencyJTH },
  { quantity: 'miner.power_target', unit: 'W', scaleExp: 0, kind: 'gauge', group: 'target', value: (d) => d.powerTargetW },
  { quantity: 'miner.mining', unit: '', scaleExp: 0, kind: 'state', group: 'state', value: (d) => bool01(isMining(d)) },
  { quantity: 'miner.uptime', unit: 's', scaleExp: 0, kind: 'gauge', group: 'uptime', value: (d) => d.uptimeS },
  { quantity: 'miner.errors', unit: '', scaleExp: 0, kind: 'gauge', group: 'errors', value: (d) => d.errors.length },
  { quantity: 'miner.pools_alive', unit: '', scaleExp: 0, kind: 'gauge', group: 'pools', value: (d) => (d.pools.length ? d.pools.filter((p) => /alive/i.test(p.status ?? '')).length : null) },
];

const board = (i: number, d: MinerData): MinerData['boards'][number] | undefined => d.boards.find((b) => b.index === i);

const BOARD: readonly Quantity[] = [
  { quantity: 'board.hashrate', unit: 'TH/s', scaleExp: -2, kind: 'gauge', group: 'boards', value: (d, i) => board(i, d)?.hashrateTHs ?? null },
  { quantity: 'board.temp', unit: '°C', scaleExp: -1, kind: 'gauge', group: 'boards', value: (d, i) => board(i, d)?.boardTempC ?? null },
  { quantity: 'board.chip_temp', unit: '°C', scaleExp: -1, kind: 'gauge', group: 'boards', value: (d, i) => board(i, d)?.chipTempC ?? null },
  { quantity: 'board.chips', unit: '', scaleExp: 0, kind: 'gauge', group: 'boards', value: (d, i) => board(i, d)?.chips ?? null },
];

const FAN: Quantity = { quantity: 'fan.speed', unit: 'rpm', scaleExp: 0, kind: 'gauge', group: 'fans', value: (d, i) => d.fans.find((f) => f.index === i)?.rpm ?? null };

interface Point {
  readonly spec: SeriesSpec;
  readonly q: Quantity;
  readonly channel: number;
}

/** The series of one miner; `maxAgeMs`: how long a reading stays current (staleAfterMs). */
export function minerPoints(device: string, boards: number, fans: number, maxAgeMs: number): Point[] {
  const spec = (q: Quantity, channel: string): SeriesSpec => ({ device, quantity: q.quantity, channel, unit: q.unit, scaleExp: q.scaleExp, kind: q.kind, maxAgeMs });
  return [
    ...MINER.map((q) => ({ spec: spec(q, ''), q, channel: -1 })),
    ...Array.from({ length: boards }, (_, i) => BOARD.map((q) => ({ spec: spec(q, String(i + 1)), q, channel: i }))).flat(),
    ...Array.from({ length: fans }, (_, i) => ({ spec: spec(FAN, String(i + 1)), q: FAN, channel: i })),
  ];
}

/** Samples for a read. `data` undefined: nothing could be read, every sample carries `down`. */
export function minerSamples(points: readonly Point[], t: number, data: MinerData | undefined, failures: readonly SourceFailure[], down?: MinerError): Sample[] {
  return points.map(({ spec, q, channel }) => {
    const key = seriesKey(spec.device, spec.quantity, spec.channel);
    if (!data) return { key, reading: down ? bad(qualityOf(down), t, down.message) : bad('comm_error', t, 'not read') };
    const v = q.value(data, channel);
    if (v !== null) return { key, reading: checked(v, t) };
    return { key, reading: whyUnknown(q, channel, data, failures, t) };
  });
}

function whyUnknown(q: Quantity, channel: number, data: MinerData, failures: readonly SourceFailure[], t: number): Reading {
  const f = failures.find((x) => x.groups.includes(q.group));
  if (f) return bad(qualityOf(f.error), t, `${f.source}: ${f.error.message}`);
  if (q.group === 'boards' && !data.boards.some((b) => b.index === channel)) return bad('unsupported', t, `no board ${channel + 1} reported`);
  if (q.group === 'fans' && !data.fans.some((x) => x.index === channel)) return bad('unsupported', t, `no fan ${channel + 1} reported`);
  // Not in this firmware's replies, or unreadable this time ("nan", empty while asleep).
  return bad('unsupported', t, `${q.quantity} not in ${data.firmware}'s reply`);
}
