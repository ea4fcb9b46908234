// Starts a simulated rack: the physics, and every device of the scenario speaking its real
// protocol on a loopback port. Returns the endpoints so the caller can point an agent at them.

import type { FaultInjector } from './devices/faults.js';
import { startModbusDevices, type RunningBus, type StartedModbus } from './devices/modbus-devices.js';
import type { ModbusEndpoint } from './devices/modbus-server.js';
import { DEVICE_MODELS, type SimEndpoint, type StartedDevice } from './devices/registry.js';
import type { Scenario } from './scenarios/types.js';
import { Simulation, type SimulationOptions } from './simulation.js';

export type { SimEndpoint } from './devices/registry.js';

export interface RunningSim {
  readonly sim: Simulation;
  readonly endpoints: readonly SimEndpoint[];
  /** Each device's control surface by device id (e.g. a SimGpuHost for fault injection). */
  readonly controls: ReadonlyMap<string, unknown>;
  /** Fault injection for a Modbus device (PDU or meter) by id. */
  faults(device: string): FaultInjector;
  /** The server of a TCP Modbus device or of a bus, by id (request, collision… counters). */
  server(id: string): ModbusEndpoint;
  readonly buses: ReadonlyMap<string, RunningBus>;
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
  let port = opts.basePort ?? 0;
  const nextPort = (): number => (port ? port++ : 0);
  const wanted = scenario.loads.flatMap((l) => (l.device ? [{ id: l.id, model: l.device.model, params: l.device }] : []));
  let modbus: StartedModbus | undefined;
  try {
    modbus = await startModbusDevices(sim, scenario, { host, nextPort });
    for (const w of wanted) {
      const model = DEVICE_MODELS.get(w.model);
      if (!model) throw new Error(`scenario ${scenario.name}: ${w.id} has unknown device model "${w.model}" (known: ${[...DEVICE_MODELS.keys()].join(', ')})`);
      started.push(await model({ sim, host, port: nextPort(), id: w.id, params: w.params }));
    }
  } catch (err) {
    await Promise.all(started.map((s) => s.close()));
    await modbus?.close();
    throw err;
  }
  if (!opts.manual) sim.start();
  const m = modbus;
  return {
    sim,
    endpoints: [...m.endpoints, ...started.map((s) => s.endpoint)],
    controls: new Map(started.flatMap((s) => (s.control === undefined ? [] : [[s.endpoint.device, s.control] as const]))),
    faults(device) {
      const f = m.faults.get(device);
      if (!f) throw new Error(`no simulated Modbus device ${device}`);
      return f;
    },
    server(id) {
      const s = m.servers.get(id);
      if (!s) throw new Error(`no simulated Modbus server ${id}`);
      return s;
    },
    buses: m.buses,
    async stop() {
      sim.stop();
      await Promise.all(started.map((s) => s.close()));
      await m.close();
    },
  };
}
