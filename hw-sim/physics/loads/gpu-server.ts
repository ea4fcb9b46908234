// An AI GPU server: idle draw plus GPU draw proportional to utilisation; a power limit caps the
// whole server's draw (the sum of its GPUs' limits plus the idle base). GPU power follows load
// within a fraction of a second (the 1 s NVML average hides the rest).
//
// Below the server level, the per-GPU model used by the simulated GPU host (hw-sim/devices/
// sim-gpu-host.ts): each GPU draws idle + utilisation × (its default limit − idle), never more
// than its enforced limit, with a first-order lag; nvidia-smi's power.draw is a 1 s average of
// that, power.draw.instant the value itself; the die temperature follows power through a thermal
// resistance with a slow time constant. Pure functions of state, inputs and dt.
import type { LoadFamily } from './index.js';

export const gpuServer: LoadFamily = {
  name: 'gpu-server',
  defaults: { nominalW: 6500, idleW: 1200, pf: 0.97, tauUpS: 0.5, tauDownS: 0.3 },
  targetW(l) {
    const want = l.spec.idleW + l.demand * (l.spec.nominalW - l.spec.idleW);
    return l.limitW === null ? want : Math.min(want, Math.max(l.spec.idleW, l.limitW));
  },
};

/** A GPU model's facts, as nvidia-smi reports them (reference gpu-and-host.md §2.1, §5.4). */
export interface GpuModel {
  readonly name: string;
  readonly memoryMiB: number;
  readonly minLimitW: number;
  readonly maxLimitW: number;
  readonly defaultLimitW: number;
  readonly idleW: number;
  readonly smMaxMHz: number;
  readonly smIdleMHz: number;
  readonly memMHz: number;
  /** Die temperature rise per watt, °C/W (cooling of the chassis it sits in). */
  readonly thermalCPerW: number;
  /** Fields this model has no value for: passively cooled SXM parts have no fan. */
  readonly unsupported: readonly string[];
}

export const GPU_MODELS: ReadonlyMap<string, GpuModel> = new Map([
  // DGX H100: 200–700 W range (reference §2.1).
  ['h100-sxm5', { name: 'NVIDIA H100 80GB HBM3', memoryMiB: 81559, minLimitW: 200, maxLimitW: 700, defaultLimitW: 700, idleW: 70, smMaxMHz: 1980, smIdleMHz: 345, memMHz: 2619, thermalCPerW: 0.06, unsupported: ['fan.speed'] }],
  ['a100-sxm4-80gb', { name: 'NVIDIA A100-SXM4-80GB', memoryMiB: 81920, minLimitW: 100, maxLimitW: 400, defaultLimitW: 400, idleW: 55, smMaxMHz: 1410, smIdleMHz: 210, memMHz: 1593, thermalCPerW: 0.1, unsupported: ['fan.speed'] }],
  ['l40s', { name: 'NVIDIA L40S', memoryMiB: 46068, minLimitW: 100, maxLimitW: 350, defaultLimitW: 350, idleW: 35, smMaxMHz: 2520, smIdleMHz: 210, memMHz: 9001, thermalCPerW: 0.12, unsupported: ['fan.speed'] }],
  ['rtx-4090', { name: 'NVIDIA GeForce RTX 4090', memoryMiB: 24564, minLimitW: 150, maxLimitW: 600, defaultLimitW: 450, idleW: 20, smMaxMHz: 2520, smIdleMHz: 210, memMHz: 10501, thermalCPerW: 0.11, unsupported: ['temperature.memory'] }],
]);

export function gpuModel(key: string): GpuModel {
  const m = GPU_MODELS.get(key);
  if (!m) throw new Error(`unknown GPU model "${key}" (known: ${[...GPU_MODELS.keys()].join(', ')})`);
  return m;
}

export interface GpuBoard {
  /** Requested limit (power.limit), W. */
  readonly limitW: number;
  /** Draw now (power.draw.instant), W. */
  readonly powerW: number;
  /** 1 s moving average (power.draw), W. */
  readonly avgW: number;
  readonly tempC: number;
}

export const GPU_AMBIENT_C = 28;
const TAU_UP_S = 0.5;
const TAU_DOWN_S = 0.3;
const TAU_AVG_S = 1;
const TAU_THERMAL_S = 20;
/** Below this utilisation a GPU counts as idle (pstate P8, throttle reason "GPU idle"). */
export const GPU_IDLE_DEMAND = 0.05;

export function newGpuBoard(m: GpuModel, demand: number): GpuBoard {
  const p = gpuTargetW(m, m.defaultLimitW, demand);
  return { limitW: m.defaultLimitW, powerW: p, avgW: p, tempC: GPU_AMBIENT_C + p * m.thermalCPerW };
}

/** What a GPU would draw at `demand` (0..1) without a limit below its default. */
export function gpuUncappedW(m: GpuModel, demand: number): number {
  return m.idleW + Math.min(1, Math.max(0, demand)) * (m.defaultLimitW - m.idleW);
}

/** The draw a powered GPU settles to under `enforcedW`. */
export function gpuTargetW(m: GpuModel, enforcedW: number, demand: number): number {
  return Math.min(gpuUncappedW(m, demand), Math.max(m.idleW, enforcedW));
}

/** One step of one GPU; `noise` in [-1, 1] scales a ±0.5 % jitter on the target. */
export function stepGpuBoard(m: GpuModel, b: GpuBoard, i: { demand: number; powered: boolean; enforcedW: number; dtS: number; noise: number }): GpuBoard {
  const target = i.powered ? gpuTargetW(m, i.enforcedW, i.demand) * (1 + 0.005 * i.noise) : 0;
  const tau = target >= b.powerW ? TAU_UP_S : TAU_DOWN_S;
  const powerW = target + (b.powerW - target) * Math.exp(-i.dtS / tau);
  const avgW = powerW + (b.avgW - powerW) * Math.exp(-i.dtS / TAU_AVG_S);
  const hot = GPU_AMBIENT_C + powerW * m.thermalCPerW;
  const tempC = hot + (b.tempC - hot) * Math.exp(-i.dtS / TAU_THERMAL_S);
  return { ...b, powerW, avgW, tempC };
}

/** SM clock: full boost unless the limit holds the GPU below its uncapped draw. */
export function gpuSmClockMHz(m: GpuModel, demand: number, enforcedW: number): number {
  if (demand < GPU_IDLE_DEMAND) return m.smIdleMHz;
  const uncapped = gpuUncappedW(m, demand);
  const share = uncapped <= m.idleW ? 1 : Math.min(1, (Math.max(m.idleW, enforcedW) - m.idleW) / (uncapped - m.idleW));
  return Math.round(m.smIdleMHz + (m.smMaxMHz - m.smIdleMHz) * (0.55 + 0.45 * share));
}

/**
 * A server's idle and nominal draw for `count` GPUs of a model on a base (CPUs, fans, NICs),
 * so that the server-level physics (what the PDU outlet sees) matches the sum of its GPUs.
 */
export function gpuServerSpec(model: string, count: number, baseW: number): { nominalW: number; idleW: number } {
  const m = gpuModel(model);
  return { idleW: baseW + count * m.idleW, nominalW: baseW + count * m.defaultLimitW };
}

/**
 * The server-level limit that makes the server's draw (what its PDU outlet sees) the base plus
 * what its GPUs settle to at `demand` under their enforced limits.
 */
export function gpuServerLimitW(baseW: number, m: GpuModel, enforcedW: readonly number[], demand: number): number {
  return baseW + enforcedW.reduce((sum, w) => sum + gpuTargetW(m, w, demand), 0);
}
