// The nvidia-smi command line as the simulated GPU host answers it: `--query-gpu` CSV (header,
// units, placeholders, field spellings by driver version), `-i`, `-pl` with the real tool's
// messages and exit codes, `-L`, and the loop options `-l [s]` / `-lms ms` (the device repeats
// the query: sim-gpu-host.ts). Written from the documented behaviour (shared/reference/
// gpu-and-host.md §1-§2, man nvidia-smi), not from the agent's parser.
//
// The loop as assumed here (no real GPU to check against): each iteration prints what a one-shot
// query prints, except that the header line comes only with the first (`-l 1` output in
// ksysguard-gpu #31 shows it once, then one row per GPU per interval, nothing between samples);
// a GPU lost mid-loop is left out of later iterations with the same "Unable to determine the
// device handle" line first; an error that ends a one-shot query (exit 2, 6, 9…) ends the loop
// with that exit code, while a lost GPU (exit 15 one-shot) does not end it.

import { GPU_IDLE_DEMAND, gpuSmClockMHz, gpuUncappedW, type GpuBoard, type GpuModel } from '../physics/loads/gpu-server.js';

export interface CliGpu {
  readonly busId: string;
  readonly uuid: string;
  readonly model: GpuModel;
  readonly board: GpuBoard;
  readonly demand: number;
  readonly enforcedW: number;
  readonly persistence: boolean;
  /** Every value reads "[GPU requires reset]" (an XID that needs a reset). */
  readonly requiresReset: boolean;
}

export interface CliHost {
  readonly driver: string;
  /** GPUs NVML can see, in index order (one that fell off the bus is not among them). */
  visible(): readonly CliGpu[];
  /** Bus ids of GPUs that fell off the bus. */
  lost(): readonly string[];
  /** Fields printed as [N/A] (fault injection). */
  readonly naFields: ReadonlySet<string>;
  privileged(euid: number): boolean;
  setLimit(gpu: CliGpu, watts: number): void;
}

export interface CliResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

type Value = number | string | null;

interface SimField {
  readonly unit?: string;
  readonly decimals?: number;
  /** First driver branch that knows the field. */
  readonly since?: number;
  readonly get: (g: CliGpu, h: CliHost) => Value;
}

const TERMINATING = 'Terminating early due to previous errors.';
const BAD_ARGS: CliResult = { stdout: "Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.\n", stderr: '', code: 2 };

function throttle(g: CliGpu): number {
  if (g.demand < GPU_IDLE_DEMAND) return 0x1; // GPU idle
  return g.enforcedW < gpuUncappedW(g.model, g.demand) ? 0x4 : 0; // SW power cap
}

const FIELD_TABLE: Readonly<Record<string, SimField>> = {
  index: { get: () => null }, // filled in by position
  uuid: { get: (g) => g.uuid },
  name: { get: (g) => g.model.name },
  'pci.bus_id': { get: (g) => g.busId },
  driver_version: { get: (_g, h) => h.driver },
  persistence_mode: { get: (g) => (g.persistence ? 'Enabled' : 'Disabled') },
  pstate: { get: (g) => (g.demand < GPU_IDLE_DEMAND ? 'P8' : 'P0') },
  'power.draw': { unit: 'W', decimals: 2, get: (g) => g.board.avgW },
  'power.draw.average': { unit: 'W', decimals: 2, since: 535, get: (g) => g.board.avgW },
  'power.draw.instant': { unit: 'W', decimals: 2, since: 535, get: (g) => g.board.powerW },
  'power.limit': { unit: 'W', decimals: 2, get: (g) => g.board.limitW },
  'enforced.power.limit': { unit: 'W', decimals: 2, get: (g) => g.enforcedW },
  'power.default_limit': { unit: 'W', decimals: 2, get: (g) => g.model.defaultLimitW },
  'power.min_limit': { unit: 'W', decimals: 2, get: (g) => g.model.minLimitW },
  'power.max_limit': { unit: 'W', decimals: 2, get: (g) => g.model.maxLimitW },
  'temperature.gpu': { get: (g) => g.board.tempC },
  'temperature.memory': { get: (g) => g.board.tempC + 6 },
  'fan.speed': { unit: '%', get: (g) => Math.min(100, 30 + g.board.tempC / 2) },
  'utilization.gpu': { unit: '%', get: (g) => g.demand * 100 },
  'utilization.memory': { unit: '%', get: (g) => g.demand * 55 },
  'memory.total': { unit: 'MiB', get: (g) => g.model.memoryMiB },
  'memory.used': { unit: 'MiB', get: (g) => (g.demand < GPU_IDLE_DEMAND ? 4 : g.model.memoryMiB * 0.88) },
  'memory.free': { unit: 'MiB', get: (g) => g.model.memoryMiB - (g.demand < GPU_IDLE_DEMAND ? 4 : g.model.memoryMiB * 0.88) },
  'clocks.current.sm': { unit: 'MHz', get: (g) => gpuSmClockMHz(g.model, g.demand, g.enforcedW) },
  'clocks.current.graphics': { unit: 'MHz', get: (g) => gpuSmClockMHz(g.model, g.demand, g.enforcedW) },
  'clocks.current.memory': { unit: 'MHz', get: (g) => g.model.memMHz },
  'clocks_event_reasons.active': { since: 535, get: (g) => `0x${throttle(g).toString(16).padStart(16, '0')}` },
  'clocks_throttle_reasons.active': { get: (g) => `0x${throttle(g).toString(16).padStart(16, '0')}` },
};

const FIELDS: ReadonlyMap<string, SimField> = new Map(Object.entries(FIELD_TABLE));

/** Aliases print under their canonical name (GTX 1080 header, reference §1.1). */
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['clocks.gr', 'clocks.current.graphics'],
  ['clocks.sm', 'clocks.current.sm'],
  ['clocks.mem', 'clocks.current.memory'],
  ['gpu_name', 'name'],
  ['gpu_uuid', 'uuid'],
  ['gpu_bus_id', 'pci.bus_id'],
]);

interface Args {
  query?: string;
  format?: string;
  id?: string;
  powerLimit?: string;
  list?: boolean;
  /** -l / -lms: repeat every this many ms. */
  loopMs?: number;
}

/** -l's interval when none is given (man nvidia-smi). */
const DEFAULT_LOOP_S = 5;

function parseArgs(argv: readonly string[]): Args | undefined {
  const a: Args = {};
  const take = (i: number): string | undefined => argv[i + 1];
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i] as string;
    const eq = w.indexOf('=');
    const [name, inline] = eq === -1 ? [w, undefined] : [w.slice(0, eq), w.slice(eq + 1)];
    const value = (): string | undefined => inline ?? take(i++);
    if (name === '--query-gpu') a.query = value();
    else if (name === '--format') a.format = value();
    else if (name === '-i' || name === '--id') a.id = value();
    else if (name === '-pl' || name === '--power-limit') a.powerLimit = value();
    else if (name === '-L' || name === '--list-gpus') a.list = true;
    else if (name === '-lms' || name === '--loop-ms') a.loopMs = Number(value());
    else if (name === '-l' || name === '--loop') {
      // The interval is optional: take the next word only when it is a number.
      const v = inline ?? (/^\d+$/.test(take(i) ?? '') ? take(i++) : undefined);
      a.loopMs = 1000 * (v === undefined ? DEFAULT_LOOP_S : Number(v));
    } else return undefined;
  }
  if (a.loopMs !== undefined && !(Number.isInteger(a.loopMs) && a.loopMs > 0)) return undefined;
  return a;
}

/** The loop interval of a query that loops (-l / -lms), ms; undefined for a one-shot call. */
export function loopInterval(argv: readonly string[]): number | undefined {
  const a = parseArgs(argv);
  return a?.query !== undefined ? a.loopMs : undefined;
}

function driverMajor(h: CliHost): number {
  return Number(h.driver.split('.')[0]);
}

function select(h: CliHost, id: string | undefined): readonly CliGpu[] | undefined {
  const all = h.visible();
  if (id === undefined) return all;
  const out: CliGpu[] = [];
  for (const want of id.split(',')) {
    const g = /^\d+$/.test(want) ? all[Number(want)] : all.find((x) => x.uuid === want || x.busId === want || x.busId.endsWith(want));
    if (!g) return undefined;
    out.push(g);
  }
  return out;
}

function format(v: Value, f: SimField, units: boolean): string {
  if (v === null) return '[N/A]';
  if (typeof v === 'string') return v;
  const s = v.toFixed(f.decimals ?? 0);
  return units && f.unit ? `${s} ${f.unit}` : s;
}

function query(h: CliHost, a: Args, iteration: number): CliResult {
  const fmt = (a.format ?? '').split(',');
  if (fmt[0] !== 'csv' || !a.query) return BAD_ARGS;
  const names = a.query.split(',').map((n) => ALIASES.get(n) ?? n);
  for (const n of names) {
    const f = FIELDS.get(n);
    if (!f || (f.since !== undefined && driverMajor(h) < f.since)) {
      return { stdout: `Field "${a.query.split(',')[names.indexOf(n)]}" is not a valid field to query.\n\n`, stderr: '', code: 2 };
    }
  }
  const gpus = select(h, a.id);
  if (!gpus) return { stdout: 'No devices were found\n', stderr: '', code: 6 };
  const lines: string[] = a.id === undefined ? h.lost().map((b) => `Unable to determine the device handle for GPU ${b}: GPU is lost.  Reboot the system to recover this GPU`) : [];
  const units = !fmt.includes('nounits');
  if (!fmt.includes('noheader') && iteration === 0) lines.push(names.map((n) => (FIELDS.get(n)?.unit ? `${n} [${FIELDS.get(n)?.unit}]` : n)).join(', '));
  const all = h.visible();
  for (const g of gpus) {
    lines.push(names.map((n) => {
      const f = FIELDS.get(n) as SimField;
      if (n === 'index') return String(all.indexOf(g));
      if (g.requiresReset && n !== 'pci.bus_id' && n !== 'uuid') return '[GPU requires reset]';
      if (h.naFields.has(n) || g.model.unsupported.includes(n)) return '[N/A]';
      return format(f.get(g, h), f, units);
    }).join(', '));
  }
  return { stdout: lines.join('\n') + '\n', stderr: '', code: a.id === undefined && h.lost().length ? 15 : 0 };
}

function powerLimit(h: CliHost, a: Args, euid: number): CliResult {
  const w = Number(a.powerLimit);
  if (!a.powerLimit || !Number.isFinite(w)) return BAD_ARGS;
  const gpus = select(h, a.id);
  if (!gpus) return { stdout: 'No devices were found\n', stderr: '', code: 6 };
  for (const g of gpus) {
    if (w < g.model.minLimitW || w > g.model.maxLimitW) {
      return { stdout: `Provided power limit ${w.toFixed(2)} W is not a valid power limit which should be between ${g.model.minLimitW.toFixed(2)} W and ${g.model.maxLimitW.toFixed(2)} W for GPU ${g.busId}\n${TERMINATING}\n`, stderr: '', code: 2 };
    }
  }
  if (!h.privileged(euid)) {
    return { stdout: `Failed to set power management limit for GPU ${gpus[0]?.busId ?? ''}: Insufficient Permissions\n${TERMINATING}\n`, stderr: '', code: 4 };
  }
  const lines = gpus.map((g) => {
    const from = g.board.limitW;
    h.setLimit(g, w);
    return `Power limit for GPU ${g.busId} was set to ${w.toFixed(2)} W from ${from.toFixed(2)} W.`;
  });
  return { stdout: `${lines.join('\n')}\nAll done.\n`, stderr: '', code: 0 };
}

/**
 * Runs one nvidia-smi invocation against the host, or (`iteration` > 0) one later iteration of a
 * looping query: the same output without the header.
 */
export function nvidiaSmi(h: CliHost, argv: readonly string[], euid: number, iteration = 0): CliResult {
  const a = parseArgs(argv);
  if (!a) return BAD_ARGS;
  if (h.visible().length === 0 && h.lost().length === 0) return { stdout: 'No devices were found\n', stderr: '', code: 6 };
  if (a.powerLimit !== undefined) return powerLimit(h, a, euid);
  if (a.query !== undefined) return query(h, a, iteration);
  if (a.list) return { stdout: h.visible().map((g, i) => `GPU ${i}: ${g.model.name} (UUID: ${g.uuid})\n`).join(''), stderr: '', code: 0 };
  const rows = h.visible().map((g, i) => `GPU ${i}  ${g.model.name}  ${g.board.avgW.toFixed(0)}W / ${g.board.limitW.toFixed(0)}W  ${g.board.tempC.toFixed(0)}C  ${(g.demand * 100).toFixed(0)}%`);
  return { stdout: `NVIDIA-SMI (rackpilot hw-sim)  Driver Version: ${h.driver}\n${rows.join('\n')}\n`, stderr: '', code: 0 };
}
