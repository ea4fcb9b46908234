// What rackpilot asks nvidia-smi for, as data (shared/reference/gpu-and-host.md §1-§2, §6).
// One `--query-gpu` call per poll reads every field of every GPU of a host.
//
// Each field lists the spellings to query (newest first: a driver that does not know a field
// rejects the whole query with `Field "x" is not a valid field to query.`, and the reader then
// tries the next spelling or, for optional fields, leaves the field out), and the header names it
// may come back under. The header is checked column by column, so a driver that renames or
// reorders a field makes that column unknown instead of misread.
//
// Quirks this table encodes:
//   - nvidia-smi prints the canonical name with its unit in the header even for an alias
//     ("clocks.sm" comes back as "clocks.current.sm [MHz]"; GeForce GTX 1080, Cyclenerd/
//     ethereum_nvidia_miner PR #51), so the table queries canonical names and checks units.
//   - clocks_throttle_reasons.* was renamed clocks_event_reasons.* in newer drivers; old drivers
//     know only the throttle spelling, whose header is the plain name.
//   - power.draw.average / power.draw.instant exist only on recent drivers (the 535 power
//     readings split, reference §1.4): optional.
//   - `name` is the only free-text column and is queried last, so a name containing ", " (which
//     breaks systeminformation's fixed-width split, reference §5.2) still parses.
//   - No --query-gpu field gives an energy counter (it is NVML/DCGM only), so none is read.

import type { SeriesKind } from '../../core/series.js';

export type GpuValueType = 'number' | 'hex' | 'text' | 'enabled' | 'pstate';

export interface GpuSeriesDef {
  readonly quantity: string;
  readonly unit: string;
  /** Wire precision: values travel as round(value / 10^scaleExp). */
  readonly scaleExp: number;
  readonly kind: SeriesKind;
}

export interface GpuField {
  /** rackpilot's name for the field (its newest nvidia-smi spelling). */
  readonly key: string;
  /** Query spellings, preferred first. */
  readonly query: readonly string[];
  /** Header names accepted for this column (besides the query spellings). */
  readonly headers?: readonly string[];
  /** Unit nvidia-smi shows in the header ("power.draw [W]"); none for plain names. */
  readonly unit?: string;
  readonly type: GpuValueType;
  /** Older drivers lack it: left out of the query when rejected (its series is 'unsupported'). */
  readonly optional?: boolean;
  readonly series?: GpuSeriesDef;
}

const watts = (quantity: string): GpuSeriesDef => ({ quantity, unit: 'W', scaleExp: -1, kind: 'gauge' });
const gauge = (quantity: string, unit: string): GpuSeriesDef => ({ quantity, unit, scaleExp: 0, kind: 'gauge' });
const state = (quantity: string): GpuSeriesDef => ({ quantity, unit: '1', scaleExp: 0, kind: 'state' });

export const GPU_FIELDS: readonly GpuField[] = [
  { key: 'index', query: ['index'], type: 'number' },
  { key: 'uuid', query: ['uuid'], type: 'text' },
  { key: 'pci.bus_id', query: ['pci.bus_id'], type: 'text' },
  { key: 'driver_version', query: ['driver_version'], type: 'text' },
  // Without persistence mode every call re-initialises the GPU (~1.5 s, held at P0): reference §1.5.
  { key: 'persistence_mode', query: ['persistence_mode'], type: 'enabled', series: state('gpu.persistence') },
  { key: 'pstate', query: ['pstate'], type: 'pstate', series: state('gpu.pstate') },
  { key: 'power.draw', query: ['power.draw'], unit: 'W', type: 'number', series: watts('gpu.power') },
  { key: 'power.draw.average', query: ['power.draw.average'], unit: 'W', type: 'number', optional: true, series: watts('gpu.power.average') },
  { key: 'power.draw.instant', query: ['power.draw.instant'], unit: 'W', type: 'number', optional: true, series: watts('gpu.power.instant') },
  { key: 'power.limit', query: ['power.limit'], unit: 'W', type: 'number', series: watts('gpu.power.limit') },
  // The limit in effect after every limiter, out-of-band (BMC/SMBPBI) included: reference §2.1.
  { key: 'enforced.power.limit', query: ['enforced.power.limit'], unit: 'W', type: 'number', series: watts('gpu.power.enforced_limit') },
  { key: 'power.default_limit', query: ['power.default_limit'], unit: 'W', type: 'number', series: watts('gpu.power.default_limit') },
  { key: 'power.min_limit', query: ['power.min_limit'], unit: 'W', type: 'number', series: watts('gpu.power.min_limit') },
  { key: 'power.max_limit', query: ['power.max_limit'], unit: 'W', type: 'number', series: watts('gpu.power.max_limit') },
  { key: 'temperature.gpu', query: ['temperature.gpu'], type: 'number', series: gauge('gpu.temperature', 'degC') },
  { key: 'temperature.memory', query: ['temperature.memory'], type: 'number', series: gauge('gpu.memory.temperature', 'degC') },
  { key: 'fan.speed', query: ['fan.speed'], unit: '%', type: 'number', series: gauge('gpu.fan', '%') },
  { key: 'utilization.gpu', query: ['utilization.gpu'], unit: '%', type: 'number', series: gauge('gpu.utilization', '%') },
  { key: 'utilization.memory', query: ['utilization.memory'], unit: '%', type: 'number', series: gauge('gpu.memory.utilization', '%') },
  { key: 'memory.used', query: ['memory.used'], unit: 'MiB', type: 'number', series: gauge('gpu.memory.used', 'MiB') },
  { key: 'memory.total', query: ['memory.total'], unit: 'MiB', type: 'number', series: gauge('gpu.memory.total', 'MiB') },
  { key: 'clocks.current.sm', query: ['clocks.current.sm'], headers: ['clocks.sm'], unit: 'MHz', type: 'number', series: gauge('gpu.clock.sm', 'MHz') },
  { key: 'clocks.current.memory', query: ['clocks.current.memory'], headers: ['clocks.mem'], unit: 'MHz', type: 'number', series: gauge('gpu.clock.memory', 'MHz') },
  // A bitmask (0x4 = software power cap, 0x20/0x40 thermal, 0x80 power brake).
  { key: 'clocks_event_reasons.active', query: ['clocks_event_reasons.active', 'clocks_throttle_reasons.active'], type: 'hex', optional: true, series: state('gpu.throttle_reasons') },
  { key: 'name', query: ['name'], type: 'text' },
];

/** Field keys the driver and the actuator read by name. */
export const F = {
  index: 'index',
  uuid: 'uuid',
  busId: 'pci.bus_id',
  driver: 'driver_version',
  name: 'name',
  power: 'power.draw',
  limit: 'power.limit',
  enforced: 'enforced.power.limit',
  defaultLimit: 'power.default_limit',
  minLimit: 'power.min_limit',
  maxLimit: 'power.max_limit',
  temp: 'temperature.gpu',
  memTemp: 'temperature.memory',
  util: 'utilization.gpu',
  throttle: 'clocks_event_reasons.active',
} as const;

/**
 * Bits of clocks_event_reasons.active (nvml.h nvmlClocksEventReason*): why clocks are below
 * their maximum. Shown by `rackpilot diag gpu`.
 */
export const THROTTLE_REASONS: readonly (readonly [bit: number, name: string])[] = [
  [0x1, 'idle'],
  [0x2, 'app clocks'],
  [0x4, 'power cap'],
  [0x8, 'hw slowdown'],
  [0x10, 'sync boost'],
  [0x20, 'sw thermal'],
  [0x40, 'hw thermal'],
  [0x80, 'power brake'],
  [0x100, 'display clocks'],
];

/** The fields the power-limit actuator reads before and after a set. */
export const LIMIT_FIELDS: readonly GpuField[] = GPU_FIELDS.filter((f) =>
  ([F.index, F.uuid, F.busId, F.limit, F.enforced, F.defaultLimit, F.minLimit, F.maxLimit, F.name] as readonly string[]).includes(f.key));
