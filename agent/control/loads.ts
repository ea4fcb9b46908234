// Which loads the controller governs and how: every device config with a `load` field (miners,
// GPU hosts, any family that adds one) plus `control.loads` (driverless loads: infrastructure,
// loads on switched outlets), each bound to the actuators the drivers expose for it.
//
// Binding rules (the drivers' side of the contract, agent/drivers/types.ts):
//   miner actuators   kind "miner", device = the load's device id: power target and/or pause
//   GPU actuators     kind "gpu", device = the load's device id: one per GPU; a host-level target
//                     is split across them (the host's own draw above its GPUs is kept)
//   outlet actuator   kind "outlet", id "<feed.pdu>/outlet/<feed.outlet>"
// The load's phase is feed.phase; without it the load may be on any phase of its PDU (or of the
// rack when it has no feed), and the controller plans conservatively.

import type { LoadConfig } from '../config/common.js';
import type { Config } from '../config/schema.js';
import type { LoadControls, LoadSpec } from '../core/control/types.js';
import type { CircuitSpec } from '../core/rack.js';
import { Q, seriesKey, type SeriesKey } from '../core/series.js';
import { settleFor, type ActuatorCommand, type PowerActuator } from '../drivers/types.js';

/** A load as configured: its id, the device that reports and controls it, its `load` block. */
export interface LoadDecl {
  readonly id: string;
  readonly device: string;
  readonly load: LoadConfig;
}

export interface LoadBinding {
  readonly spec: LoadSpec;
  readonly device: string;
  readonly miner: readonly PowerActuator[];
  readonly gpu: readonly PowerActuator[];
  readonly outlet: PowerActuator | null;
  /** Host draw above the sum of its GPUs' limits (GPU hosts), W. */
  readonly baseW: number;
  /**
   * Where its draw is read: the outlet's meter first, else the device's own total (the first of
   * LOAD_POWER that it reports), else (a GPU host) its GPUs' `gpu.power` (channel = the actuator
   * id's last part) plus baseW.
   */
  readonly outletPowerKey: SeriesKey | null;
  readonly devicePowerKeys: readonly SeriesKey[];
  readonly gpuPowerKeys: readonly SeriesKey[];
  readonly efficiencyKey: SeriesKey;
}

/**
 * Quantities a driver may report for a controllable load: its total draw (W; the miner driver's
 * `miner.power`, or a generic `power`), a miner's efficiency (J/TH), a GPU's draw.
 */
export const LOAD_POWER = ['miner.power', 'power'] as const;
export const LOAD_EFFICIENCY = 'miner.efficiency';
export const GPU_POWER = 'gpu.power';

/** Every load the config describes: device configs carrying `load`, then `control.loads`. */
export function declaredLoads(config: Config): LoadDecl[] {
  const out: LoadDecl[] = [];
  for (const d of config.devices as readonly { id: string; load?: LoadConfig }[]) {
    if (d.load) out.push({ id: d.id, device: d.id, load: d.load });
  }
  for (const l of config.control.loads) out.push({ id: l.id, device: l.id, load: l.load });
  return out;
}

function minSettle(as: readonly PowerActuator[], type: ActuatorCommand['type']): number {
  return Math.min(...as.map((a) => settleFor(a, type)));
}

function controlsOf(miner: readonly PowerActuator[], gpu: readonly PowerActuator[], outlet: PowerActuator | null, baseW: number): LoadControls {
  const sp = miner.filter((a) => a.capabilities.setPower);
  const pause = miner.filter((a) => a.capabilities.pause);
  const gpuSp = gpu.filter((a) => a.capabilities.setPower);
  let setPower: LoadControls['setPower'];
  if (gpuSp.length) {
    const sum = (f: (a: PowerActuator) => number): number => gpuSp.reduce((x, a) => x + f(a), 0);
    setPower = { minW: baseW + sum((a) => a.capabilities.setPower?.minW ?? 0), maxW: baseW + sum((a) => a.capabilities.setPower?.maxW ?? 0), settleMs: Math.max(...gpuSp.map((a) => settleFor(a, 'set_power'))) };
  } else if (sp.length) {
    const fastest = sp.reduce((a, b) => (settleFor(b, 'set_power') < settleFor(a, 'set_power') ? b : a));
    const r = fastest.capabilities.setPower as { minW: number; maxW: number };
    setPower = { minW: r.minW, maxW: r.maxW, settleMs: settleFor(fastest, 'set_power') };
  }
  return {
    ...(setPower ? { setPower } : {}),
    ...(pause.length ? { pause: { settleMs: minSettle(pause, 'pause') } } : {}),
    ...(outlet?.capabilities.outlet ? { outlet: { settleMs: settleFor(outlet, 'outlet_off') } } : {}),
  };
}

/** What the actuators can do now: drivers may learn a range only after their first read. */
export function capabilitySignature(actuators: readonly PowerActuator[]): string {
  let sig = '';
  for (const a of actuators) {
    const c = a.capabilities;
    sig += `${a.id}:${c.setPower ? `${c.setPower.minW}-${c.setPower.maxW}` : ''}${c.pause ? 'p' : ''}${c.outlet ? 'o' : ''}@${a.settleMs};`;
  }
  return sig;
}

/**
 * Binds each declared load to its actuators and circuits. Problems that leave a load without
 * control (no actuator, a feed on an unknown PDU) are returned as notes, never thrown: the
 * controller still counts the load in every budget.
 */
export function bindLoads(decls: readonly LoadDecl[], actuators: readonly PowerActuator[], circuits: readonly CircuitSpec[]): { bindings: LoadBinding[]; notes: string[] } {
  const notes: string[] = [];
  const bindings = decls.map((d): LoadBinding => {
    const { load } = d;
    const feed = load.feed;
    const miner = actuators.filter((a) => a.kind === 'miner' && a.device === d.device);
    const gpu = actuators.filter((a) => a.kind === 'gpu' && a.device === d.device);
    const outlet = feed ? (actuators.find((a) => a.kind === 'outlet' && a.id === `${feed.pdu}/outlet/${feed.outlet}`) ?? null) : null;
    const gpuMax = gpu.reduce((x, a) => x + (a.capabilities.setPower?.maxW ?? 0), 0);
    const baseW = gpu.length && load.nominalW !== undefined ? Math.max(0, load.nominalW - gpuMax) : 0;
    const controls = controlsOf(miner, gpu, outlet, baseW);
    const onPdu = feed ? circuits.filter((c) => c.device === feed.pdu) : [];
    const exact = feed?.phase ? onPdu.filter((c) => c.phase === feed.phase) : [];
    if (feed && !onPdu.length) notes.push(`${d.id}: feed PDU "${feed.pdu}" has no circuits configured; the load may be on any circuit`);
    if (load.class !== 'infrastructure' && !controls.setPower && !controls.pause && !controls.outlet) notes.push(`${d.id}: no actuator controls it; it is counted in every budget but cannot be shed`);
    const spec: LoadSpec = {
      id: d.id, class: load.class, priority: load.priority, pdu: feed?.pdu ?? null,
      circuits: exact.map((c) => c.id),
      maybeCircuits: exact.length ? [] : (onPdu.length ? onPdu : circuits).map((c) => c.id),
      floorW: load.floorW ?? (controls.pause ? 0 : controls.setPower?.minW ?? 0),
      nominalW: load.nominalW ?? controls.setPower?.maxW ?? null,
      controls,
    };
    return {
      spec, device: d.device, miner, gpu, outlet, baseW,
      outletPowerKey: feed ? seriesKey(feed.pdu, Q.outletPower, String(feed.outlet)) : null,
      devicePowerKeys: LOAD_POWER.map((q) => seriesKey(d.device, q)),
      gpuPowerKeys: gpu.map((a) => seriesKey(d.device, GPU_POWER, a.id.slice(a.id.lastIndexOf('/') + 1))),
      efficiencyKey: seriesKey(d.device, LOAD_EFFICIENCY),
    };
  });
  return { bindings, notes };
}
