// A small driver for the pure controller in unit tests: hand-made loads, circuits and readings,
// one step per call, time in seconds.
import { createController, step } from '../../agent/core/control/step.js';
import type { ActionOutcome, ControlAction, ControlEvent, ControllerState, ControlParams, Lease, GridEvent, LoadSpec, Measured, Observations } from '../../agent/core/control/types.js';
import type { CircuitSpec } from '../../agent/core/rack.js';
import { defaultParams } from './control-bed.js';

export const L1: CircuitSpec = { id: 'p.L1', device: 'p', phase: 'L1', breakerA: 32, continuousFactor: 0.8 };
export const L2: CircuitSpec = { id: 'p.L2', device: 'p', phase: 'L2', breakerA: 32, continuousFactor: 0.8 };
/** Amps at 230 V (the rig's phases have no power reading: W per A is the voltage). */
export const A = (w: number): number => w / 230;

export function miner(id: string, over: Partial<LoadSpec> = {}): LoadSpec {
  return {
    id, class: 'miner', priority: 0, pdu: 'p', circuits: ['p.L1'], maybeCircuits: [], floorW: 25, nominalW: 3000,
    controls: { setPower: { minW: 1000, maxW: 3000, settleMs: 5000 }, pause: { settleMs: 5000 }, outlet: { settleMs: 1000 } },
    ...over,
  };
}

export function gpu(id: string, over: Partial<LoadSpec> = {}): LoadSpec {
  return {
    id, class: 'ai-critical', priority: 0, pdu: 'p', circuits: ['p.L1'], maybeCircuits: [], floorW: 2000, nominalW: 6000,
    controls: { setPower: { minW: 2000, maxW: 6000, settleMs: 2000 } },
    ...over,
  };
}

const ok = (v: number): Measured => ({ value: v, ageMs: 0, quality: 'ok' });
const unknown: Measured = { value: null, ageMs: 0, quality: 'timeout' };

export interface RigStep {
  readonly actions: readonly ControlAction[];
  readonly events: readonly ControlEvent[];
}

export class Rig {
  state: ControllerState;
  t = 0;
  lease: Lease | null = null;
  grid: GridEvent[] = [];
  gridSignalAtS = 0;
  rackKw: number | null = null;
  outcomes: ActionOutcome[] = [];

  constructor(loads: readonly LoadSpec[], readonly circuits: readonly CircuitSpec[] = [L1], params: ControlParams = defaultParams(), seed = 7) {
    this.state = createController({ loads, params }, seed);
  }

  /** Steps at the next whole second (or `dt` later) with these draws (W; null = unknown). */
  step(draws: Readonly<Record<string, number | null>>, o: { circuitsA?: Readonly<Record<string, number | null>>; rackW?: number | null; dt?: number } = {}): RigStep {
    this.t += o.dt ?? 1;
    const loads = new Map(Object.entries(draws).map(([id, w]) => [id, { power: w === null ? unknown : ok(w) }]));
    const circuits = new Map(this.circuits.map((c) => {
      const given = o.circuitsA?.[c.id];
      const fromLoads = this.state.spec.loads.filter((l) => l.circuits.includes(c.id)).reduce((s, l) => s + (draws[l.id] ?? 0), 0);
      const amps = given === undefined ? A(fromLoads) : given;
      return [c.id, { current: amps === null ? unknown : ok(amps), voltageV: ok(230) }];
    }));
    const total = Object.values(draws).reduce<number>((s, w) => s + (w ?? 0), 0);
    const rack = o.rackW === undefined ? ok(total) : o.rackW === null ? unknown : ok(o.rackW);
    const obs: Observations = { circuits, rackPowerW: rack, loads, outcomes: this.outcomes };
    this.outcomes = [];
    const res = step(this.state, obs, { circuits: this.circuits, rackKw: this.rackKw, lease: this.lease, gridEvents: this.grid, gridSignalAtMs: this.gridSignalAtS * 1000 }, this.t * 1000);
    this.state = res.state;
    return res;
  }

  /** Steps `n` times with the same draws; returns every action and event. */
  run(n: number, draws: Readonly<Record<string, number | null>>, o: Parameters<Rig['step']>[1] = {}): RigStep {
    const actions: ControlAction[] = [];
    const events: ControlEvent[] = [];
    for (let i = 0; i < n; i++) {
      const r = this.step(draws, o);
      actions.push(...r.actions);
      events.push(...r.events);
    }
    return { actions, events };
  }
}
