// The agent side of the power-cap controller: after every poll cycle, observe the rack, step the
// pure controller (agent/core/control), stream its events, and hand its actions to the runner.
// A controller error is logged and reported as an event; the next cycle steps again from the
// last good state: the control loop never stops.

import type { ControlConfig } from '../config/control.js';
import { controlParams } from '../config/control.js';
import { createController, step, withSpec } from '../core/control/step.js';
import type { ControllerState, LoadMode } from '../core/control/types.js';
import type { CircuitSpec, RackState } from '../core/rack.js';
import type { PowerActuator } from '../drivers/types.js';
import type { Clock } from '../runtime/clock.js';
import type { Logger } from '../runtime/log.js';
import type { AgentEvent } from '../uplink/encoder.js';
import { HubLimits } from './hub-limits.js';
import { bindLoads, capabilitySignature, type LoadBinding, type LoadDecl } from './loads.js';
import { observe } from './observe.js';
import { ActuationRunner } from './runner.js';

export interface ControlLoopOptions {
  readonly config: ControlConfig;
  readonly circuits: readonly CircuitSpec[];
  /** Devices metering the rack's inlet. */
  readonly powerDevices: readonly string[];
  readonly loads: readonly LoadDecl[];
  readonly actuators: readonly PowerActuator[];
  readonly clock: Clock;
  readonly log: Logger;
  readonly emit: (e: AgentEvent) => void;
  /** Seed of the restore jitter (random per agent in production, fixed in tests). */
  readonly seed: number;
}

export interface LoadStatus {
  readonly id: string;
  readonly class: string;
  readonly mode: LoadMode;
  readonly setpointW: number | null;
  readonly drawW: number | null;
  readonly unresponsive: boolean;
  readonly actuators: number;
}

export interface ControlStatus {
  readonly budgetW: number | null;
  readonly budgetSource: string;
  readonly loads: readonly LoadStatus[];
  /** Constraints armed (holding after an overload) or blind (estimated). */
  readonly armed: readonly string[];
  readonly blind: readonly string[];
  readonly steps: number;
  readonly errors: number;
  readonly inFlight: number;
}

export class ControlLoop {
  readonly hub: HubLimits;
  bindings: readonly LoadBinding[];
  readonly runner: ActuationRunner;
  private state: ControllerState;
  private capabilities: string;
  private steps = 0;
  private errors = 0;

  constructor(private readonly o: ControlLoopOptions) {
    const { bindings, notes } = bindLoads(o.loads, o.actuators, o.circuits);
    this.bindings = bindings;
    this.capabilities = capabilitySignature(o.actuators);
    this.state = createController({ loads: bindings.map((b) => b.spec), params: controlParams(o.config) }, o.seed);
    this.hub = new HubLimits({ rackKw: o.config.rackKw ?? null, maxLeaseTtlMs: o.config.leases.maxTtlMs }, o.clock.now());
    this.runner = new ActuationRunner(() => this.bindings, {
      clock: o.clock, log: o.log.child({ component: 'actuation' }), inrushGuardMs: o.config.restore.inrushGuardMs, commandTimeoutMs: o.config.verify.commandTimeoutMs,
    });
    const now = o.clock.now();
    for (const n of notes) o.emit({ timeMs: now, severity: 'warning', type: 'control.config', message: n });
    o.emit({
      timeMs: now, severity: 'info', type: 'control.start',
      message: `controller on: ${bindings.length} loads, ${o.actuators.length} actuators, ${o.circuits.length} circuits${o.config.rackKw !== undefined ? `, rack cap ${o.config.rackKw} kW` : ''}`,
      values: { loads: bindings.length, actuators: o.actuators.length, circuits: o.circuits.length },
    });
  }

  /** One control step on the rack as it is now. `polledAt`: monotonic ms when the poll completed. */
  cycle(rack: RackState, polledAt: number): void {
    const { clock, log, emit } = this.o;
    const now = clock.now();
    try {
      this.rebindIfChanged(now);
      const obs = observe({ rack, circuits: this.o.circuits, powerDevices: this.o.powerDevices, loads: this.bindings, outcomes: this.runner.takeOutcomes() }, now);
      const res = step(this.state, obs, this.hub.limits(this.o.circuits, now), now);
      this.state = res.state;
      this.steps++;
      for (const e of res.events) emit(e);
      this.runner.dispatch(res.actions, polledAt);
    } catch (err) {
      this.errors++;
      log.error('control step failed; keeping the last state', { err });
      emit({ timeMs: now, severity: 'critical', type: 'control.error', message: `control step failed: ${(err as Error).message}` });
    }
  }

  /** Drivers may learn an actuator's range after their first read: describe the loads again. */
  private rebindIfChanged(now: number): void {
    const sig = capabilitySignature(this.o.actuators);
    if (sig === this.capabilities) return;
    this.capabilities = sig;
    const before = new Map(this.bindings.map((b) => [b.spec.id, JSON.stringify(b.spec.controls)]));
    this.bindings = bindLoads(this.o.loads, this.o.actuators, this.o.circuits).bindings;
    this.state = withSpec(this.state, { loads: this.bindings.map((b) => b.spec), params: this.state.spec.params });
    const changed = this.bindings.filter((b) => before.get(b.spec.id) !== JSON.stringify(b.spec.controls)).map((b) => b.spec.id);
    if (changed.length) this.o.emit({ timeMs: now, severity: 'info', type: 'control.controls', message: `controls changed (an actuator's range is known now): ${changed.join(', ')}` });
  }

  get controller(): ControllerState {
    return this.state;
  }

  status(): ControlStatus {
    const s = this.state;
    const loads = this.bindings.map((b): LoadStatus => {
      const l = s.loads.get(b.spec.id);
      return {
        id: b.spec.id, class: b.spec.class, mode: l?.mode ?? 'free', setpointW: l?.setpointW ?? null, drawW: l?.drawW ?? null,
        unresponsive: (l?.unresponsive ?? false) || (l?.outletFailed ?? false), actuators: b.miner.length + b.gpu.length + (b.outlet ? 1 : 0),
      };
    });
    const cs = [...s.constraints.entries()];
    return {
      budgetW: s.budget.watts, budgetSource: s.budget.source, loads,
      armed: cs.filter(([, c]) => c.armed).map(([id]) => id), blind: cs.filter(([, c]) => c.blind).map(([id]) => id),
      steps: this.steps, errors: this.errors, inFlight: this.runner.inFlight,
    };
  }
}
