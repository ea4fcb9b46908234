// Actuators that act on a simulated rack directly, for the demo and the agent-in-the-loop tests
// of loads that have no protocol server in hw-sim yet (scenario loads without `device`).
//
// They implement the drivers' PowerActuator contract against the Simulation's control inputs
// (Simulation.command honours scenario faults: a load that ignores commands acknowledges and does
// nothing), with a command latency like a real device API's, and they report what they did
// without claiming a read-back (verified: false). Loads whose driver exposes real actuators
// (miner APIs, nvidia-smi, PDU outlet coils) do not need these; where both exist the agent picks
// the driver's first.

import type { Simulation } from '../../hw-sim/simulation.js';
import type { ActuationResult, ActuatorCommand, PowerActuator } from '../drivers/types.js';
import type { Clock } from '../runtime/clock.js';

/** Command latency and expected settle time per kind (power-capping.md §6: LuxOS, NVML, relays). */
export const SIM_ACTUATOR_TIMING = {
  miner: { latencyMs: 600, settleMs: 5000 },
  gpu: { latencyMs: 250, settleMs: 2000 },
  outlet: { latencyMs: 100, settleMs: 1000 },
} as const;

function wait(clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const t = clock.setTimeout(() => resolve(true), ms);
    signal.addEventListener('abort', () => {
      t.cancel();
      resolve(false);
    }, { once: true });
  });
}

function actuator(
  clock: Clock, base: Omit<PowerActuator, 'apply' | 'settleMs'>, timing: { latencyMs: number; settleMs: number },
  act: (cmd: ActuatorCommand) => string | null,
): PowerActuator {
  return {
    ...base,
    settleMs: timing.settleMs,
    async apply(cmd, signal): Promise<ActuationResult> {
      if (!(await wait(clock, timing.latencyMs, signal))) return { ok: false, verified: false, detail: 'cancelled' };
      const refused = act(cmd);
      return refused === null ? { ok: true, verified: false, detail: `${cmd.type} sent` } : { ok: false, verified: false, detail: refused };
    },
  };
}

/** Actuators for the scenario's loads that have no device of their own, and for their outlets. */
export function simActuators(sim: Simulation, clock: Clock): PowerActuator[] {
  const out: PowerActuator[] = [];
  for (const l of sim.scenario.loads) {
    if (l.device) continue;
    const spec = sim.load(l.id)?.spec;
    if (!spec) continue;
    const relay = (on: boolean): string | null => (sim.setRelay(l.pdu, l.outlet, on) ? null : 'no such outlet');
    out.push(actuator(clock, { id: `${l.pdu}/outlet/${l.outlet}`, device: l.pdu, kind: 'outlet', capabilities: { outlet: true } }, SIM_ACTUATOR_TIMING.outlet, (c) =>
      (c.type === 'outlet_off' ? relay(false) : c.type === 'outlet_on' ? relay(true) : `${c.type} is not an outlet command`)));
    const send = (cmd: Parameters<Simulation['command']>[1]): string | null => (sim.command(l.id, cmd) ? null : 'unknown load');
    if (spec.family === 'miner') {
      out.push(actuator(clock, { id: l.id, device: l.id, kind: 'miner', capabilities: { setPower: { minW: 0.3 * spec.nominalW, maxW: spec.nominalW }, pause: true } }, SIM_ACTUATOR_TIMING.miner, (c) => {
        switch (c.type) {
          case 'set_power': return send({ limitW: c.watts });
          case 'pause': return send({ paused: true });
          case 'resume': return send({ paused: false });
          case 'restore': return send({ limitW: null, paused: false });
          default: return `${c.type} is not a miner command`;
        }
      }));
    } else if (spec.family === 'gpu-server') {
      const minW = spec.idleW + 0.3 * (spec.nominalW - spec.idleW);
      out.push(actuator(clock, { id: `${l.id}/0`, device: l.id, kind: 'gpu', capabilities: { setPower: { minW, maxW: spec.nominalW } } }, SIM_ACTUATOR_TIMING.gpu, (c) =>
        (c.type === 'set_power' ? send({ limitW: c.watts }) : c.type === 'restore' ? send({ limitW: null }) : `${c.type} is not a GPU command`)));
    }
  }
  return out;
}
