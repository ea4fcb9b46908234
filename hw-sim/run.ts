// Starts a simulated rack: the physics, and every device of the scenario speaking its real
// protocol on a loopback port. Returns the endpoints so the caller can point an agent at them.

import { DEVICE_MODELS, type SimEndpoint, type StartedDevice } from './devices/registry.js';
import type { Scenario } from './scenarios/types.js';
import { Simulation, type SimulationOptions } from './simulation.js';

export type { SimEndpoint } from './devices/registry.js';

export interface RunningSim {
  readonly sim: Simulation;
  readonly endpoints: readonly SimEndpoint[];
  /** Each device's control surface by device id (e.g. a SimGpuHost for fault injection). */
  readonly controls: ReadonlyMap<string, unknown>;
  stop(): Promise<void>;
}

export interface StartSimOptions extends SimulationOptions {
  readonly host?: string;
  /** First port; devices take consecutive ports. 0 = any free port for each. */
  readonly basePort?: number;
  /** Don't step on a timer (tests drive sim.advance()). */
  readonly manual?: boolean;
}

export async function startSimulator(scenario: Scenario, opts: StartSimOptions = {}): Promise<RunningSim> {
  const sim = new Simulation(scenario, opts);
  const host = opts.host ?? '127.0.0.1';
  const started: StartedDevice[] = [];
  const wanted = [
    ...scenario.pdus.map((p) => ({ id: p.id, model: p.model, params: { unit: p.unit } })),
    ...scenario.loads.flatMap((l) => (l.device ? [{ id: l.id, model: l.device.model, params: l.device }] : [])),
  ];
  try {
    for (const [i, w] of wanted.entries()) {
      const model = DEVICE_MODELS.get(w.model);
      if (!model) throw new Error(`scenario ${scenario.name}: ${w.id} has unknown device model "${w.model}" (known: ${[...DEVICE_MODELS.keys()].join(', ')})`);
      started.push(await model({ sim, host, port: opts.basePort ? opts.basePort + i : 0, id: w.id, params: w.params }));
    }
  } catch (err) {
    await Promise.all(started.map((s) => s.close()));
    throw err;
  }
  if (!opts.manual) sim.start();
  return {
    sim,
    endpoints: started.map((s) => s.endpoint),
    controls: new Map(started.flatMap((s) => (s.control === undefined ? [] : [[s.endpoint.device, s.control] as const]))),
    async stop() {
      sim.stop();
      await Promise.all(started.map((s) => s.close()));
    },
  };
}
