// The running simulator: holds the physics state, steps it on a timer (or on demand in tests),
// applies the scenario timeline (workload changes and faults), takes control inputs from the
// simulated devices (outlet relays, power limits, pause), and records breaker trips. Devices read
// readings and fault state from here; nothing here speaks a protocol.

import { resetBreaker, switchRelay, tripsBetween, type Trip } from './physics/breaker.js';
import { buildRack } from './physics/build.js';
import { pduReadings, type PduReadings } from './physics/readings.js';
import { step } from './physics/step.js';
import type { LoadState, RackPhysics } from './physics/types.js';
import { matches, type FaultKind, type Scenario, type TimelineEvent } from './scenarios/types.js';

/** A control input as a load's own API delivers it (miner power target / pause, GPU limit). */
export interface LoadCommand {
  readonly limitW?: number | null;
  /** Miner: stop hashing (demand 0) or hash again (demand 1). */
  readonly paused?: boolean;
}

export interface SimulationOptions {
  /** Physics step, ms of simulated time. */
  readonly stepMs?: number;
  /** Simulated seconds per real second. */
  readonly speed?: number;
  readonly seed?: number;
}

export class Simulation {
  private state: RackPhysics;
  private timer: NodeJS.Timeout | undefined;
  private readonly cache = new Map<string, PduReadings>();
  private readonly stepMs: number;
  private readonly speed: number;
  private lastReal = 0;
  private readonly listeners: ((s: RackPhysics) => void)[] = [];
  /** Active faults: "kind id" → simulated time it ends (Infinity: never). */
  private readonly faults = new Map<string, number>();
  /** Every breaker trip so far, in order. */
  readonly trips: Trip[] = [];

  constructor(readonly scenario: Scenario, opts: SimulationOptions = {}) {
    this.state = buildRack(scenario, opts.seed ?? 1);
    this.stepMs = opts.stepMs ?? 100;
    this.speed = opts.speed ?? 1;
    this.applyTimeline(-1, 0);
  }

  get physics(): RackPhysics {
    return this.state;
  }

  /** Starts stepping in real time (× speed). */
  start(): void {
    if (this.timer) return;
    this.lastReal = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      const dt = ((now - this.lastReal) / 1000) * this.speed;
      this.lastReal = now;
      this.advance(dt);
    }, this.stepMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Advances simulated time by dtS seconds in steps of at most stepMs. */
  advance(dtS: number): void {
    let left = dtS;
    const maxStep = this.stepMs / 1000;
    while (left > 1e-9) {
      const dt = Math.min(maxStep, left);
      const t0 = this.state.t;
      const before = this.state;
      this.state = step(this.state, dt);
      this.trips.push(...tripsBetween(before, this.state));
      this.applyTimeline(t0, this.state.t);
      for (const l of this.listeners) l(this.state);
      left -= dt;
    }
    this.cache.clear();
  }

  /** Runs after every physics step (devices apply delayed effects, e.g. a daemon restart). */
  onStep(fn: (s: RackPhysics) => void): void {
    this.listeners.push(fn);
  }

  readings(pduId: string): PduReadings {
    let r = this.cache.get(pduId);
    if (!r) {
      r = pduReadings(this.state, pduId);
      this.cache.set(pduId, r);
    }
    return r;
  }

  relay(pduId: string, outlet: number): boolean | undefined {
    return this.state.pdus.find((p) => p.spec.id === pduId)?.relays[outlet - 1];
  }

  /**
   * Switches an outlet. Switching on at (about) the same moment as other outlets of the phase adds
   * their inrush; enough of it trips the breaker. In real-time mode the switching time includes
   * the fraction of the current step, so outlets switched 100 ms apart are not simultaneous.
   */
  setRelay(pduId: string, outlet: number, on: boolean): boolean {
    const pdu = this.state.pdus.find((p) => p.spec.id === pduId);
    if (!pdu || outlet < 1 || outlet > pdu.spec.outlets) return false;
    const t = this.timer ? this.state.t + ((performance.now() - this.lastReal) / 1000) * this.speed : this.state.t;
    const before = this.state;
    this.state = switchRelay(this.state, pduId, outlet, on, t);
    this.trips.push(...tripsBetween(before, this.state));
    this.cache.clear();
    return true;
  }

  resetBreaker(pduId: string, phase: number): void {
    this.state = resetBreaker(this.state, pduId, phase);
    this.cache.clear();
  }

  /** True while a scenario fault of this kind is active on the device or load. */
  faultActive(id: string, kind: FaultKind): boolean {
    return (this.faults.get(`${kind} ${id}`) ?? -Infinity) > this.state.t;
  }

  /**
   * A control input from a load's own API. Returns false for an unknown load. A load with an
   * active ignore_commands fault acknowledges (true) and changes nothing, as a miner whose
   * firmware accepts a target and keeps hashing would.
   */
  command(id: string, c: LoadCommand): boolean {
    const l = this.load(id);
    if (!l) return false;
    if (this.faultActive(id, 'ignore_commands')) return true;
    return this.setLoad(id, { ...(c.limitW !== undefined ? { limitW: c.limitW } : {}), ...(c.paused !== undefined ? { demand: c.paused ? 0 : 1 } : {}) });
  }

  load(id: string): LoadState | undefined {
    return this.state.loads.find((l) => l.spec.id === id);
  }

  setLoad(id: string, set: { demand?: number; limitW?: number | null }): boolean {
    let found = false;
    this.state = {
      ...this.state,
      loads: this.state.loads.map((l) => {
        if (l.spec.id !== id) return l;
        found = true;
        return { ...l, ...(set.demand !== undefined ? { demand: set.demand } : {}), ...(set.limitW !== undefined ? { limitW: set.limitW } : {}) };
      }),
    };
    return found;
  }

  /** Applies timeline events due in (t0, t1]. */
  private applyTimeline(t0: number, t1: number): void {
    for (const ev of this.scenario.timeline) {
      for (const at of occurrences(ev, t0, t1)) {
        if ('fault' in ev) this.startFault(ev, at);
        else for (const l of this.state.loads) if (matches(ev.loads, l.spec.id)) this.setLoad(l.spec.id, ev.set);
      }
    }
  }

  private startFault(ev: Extract<TimelineEvent, { fault: string }>, at: number): void {
    const ids = [...this.state.pdus.map((p) => p.spec.id), ...this.state.loads.map((l) => l.spec.id)];
    for (const id of ids) if (matches(ev.target, id)) this.faults.set(`${ev.fault} ${id}`, at + (ev.forS ?? Infinity));
  }
}

function occurrences(ev: TimelineEvent, t0: number, t1: number): number[] {
  const out: number[] = [];
  if (!ev.everyS) {
    if (ev.atS > t0 && ev.atS <= t1) out.push(ev.atS);
    return out;
  }
  const k0 = Math.max(0, Math.floor((t0 - ev.atS) / ev.everyS) + 1);
  for (let k = k0; ; k++) {
    const at = ev.atS + k * ev.everyS;
    if (at > t1) break;
    if (at > t0) out.push(at);
  }
  return out;
}
