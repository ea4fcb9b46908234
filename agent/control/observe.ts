// The controller's observations from the rack model: every circuit's current (with the phase's
// power and voltage, for amps per watt), the rack's inlet power, and each load's draw, each with
// its age and quality. Unknown stays unknown: a missing reading is passed on as such.

import type { ActionOutcome, CircuitObs, LoadObs, Measured, Observations } from '../core/control/types.js';
import type { RackState } from '../core/rack.js';
import type { CircuitSpec } from '../core/rack.js';
import type { Reading } from '../core/reading.js';
import { Q, seriesKey } from '../core/series.js';
import type { LoadBinding } from './loads.js';

const NEVER: Measured = { value: null, ageMs: Infinity, quality: 'stale' };

function measured(r: Reading | undefined, now: number): Measured {
  if (!r) return NEVER;
  return { value: r.value, ageMs: Math.max(0, now - r.timeMs), quality: r.quality };
}

export interface ObserveInput {
  readonly rack: RackState;
  readonly circuits: readonly CircuitSpec[];
  /** Devices metering the rack's inlet (PDUs, meters). */
  readonly powerDevices: readonly string[];
  readonly loads: readonly LoadBinding[];
  readonly outcomes: readonly ActionOutcome[];
}

function rackPower(rack: RackState, devices: readonly string[], now: number): Measured {
  let sum = 0;
  let age = 0;
  for (const d of devices) {
    const m = measured(rack.get(seriesKey(d, Q.inletPower), now), now);
    if (m.value === null) return m; // one unknown inlet makes the rack total unknown
    sum += m.value;
    age = Math.max(age, m.ageMs);
  }
  return devices.length ? { value: sum, ageMs: age, quality: 'ok' } : NEVER;
}

/** The outlet's meter, else the device's own total, else its GPUs plus the host's base draw. */
function loadPower(rack: RackState, b: LoadBinding, now: number): Measured {
  const outlet = b.outletPowerKey ? rack.get(b.outletPowerKey, now) : undefined;
  if (outlet?.quality === 'ok') return measured(outlet, now);
  let own: Reading | undefined;
  for (const k of b.devicePowerKeys) own ??= rack.get(k, now);
  if (own?.quality === 'ok') return measured(own, now);
  const gpus = b.gpuPowerKeys.map((k) => measured(rack.get(k, now), now));
  if (gpus.length && gpus.every((m) => m.value !== null)) {
    return { value: gpus.reduce((s, m) => s + (m.value ?? 0), b.baseW), ageMs: Math.max(...gpus.map((m) => m.ageMs)), quality: 'ok' };
  }
  return measured(outlet ?? own, now);
}

export function observe(i: ObserveInput, now: number): Observations {
  const circuits = new Map<string, CircuitObs>();
  for (const c of i.circuits) {
    circuits.set(c.id, {
      current: measured(i.rack.get(seriesKey(c.device, Q.phaseCurrent, c.phase), now), now),
      powerW: measured(i.rack.get(seriesKey(c.device, Q.phasePower, c.phase), now), now),
      voltageV: measured(i.rack.get(seriesKey(c.device, Q.phaseVoltage, c.phase), now), now),
    });
  }
  const loads = new Map<string, LoadObs>();
  for (const b of i.loads) loads.set(b.spec.id, { power: loadPower(i.rack, b, now), jPerTH: i.rack.value(b.efficiencyKey, now) });
  return { circuits, rackPowerW: rackPower(i.rack, i.powerDevices, now), loads, outcomes: i.outcomes };
}
