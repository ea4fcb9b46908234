// Starts a simulated rack: the physics, and every device of the scenario speaking its real
// protocol on a loopback port. Returns the endpoints so the caller can point an agent at them.

import { Simulation, type SimulationOptions } from './simulation.js';
import { serveModbusTcp, type ModbusTcpEndpoint } from './devices/modbus-tcp-server.js';
import { simPduSlave } from './devices/sim-pdu.js';
import type { Scenario } from './scenarios/types.js';

export interface SimEndpoint {
  readonly device: string;
  readonly kind: 'pdu';
  readonly model: string;
  readonly protocol: 'modbus-tcp';
  readonly host: string;
  readonly port: number;
  readonly unit: number;
  readonly outlets: number;
  readonly breakerA: number;
}

export interface RunningSim {
  readonly sim: Simulation;
  readonly endpoints: readonly SimEndpoint[];
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
  const servers: ModbusTcpEndpoint[] = [];
  const endpoints: SimEndpoint[] = [];
  try {
    for (const [i, p] of scenario.pdus.entries()) {
      if (p.model !== 'rackpilot-sim-pdu') throw new Error(`scenario ${scenario.name}: PDU ${p.id} has unknown model ${p.model}`);
      const port = opts.basePort ? opts.basePort + i : 0;
      const ep = await serveModbusTcp(simPduSlave(sim, p.id, [p.unit]), host, port);
      servers.push(ep);
      endpoints.push({ device: p.id, kind: 'pdu', model: p.model, protocol: 'modbus-tcp', host: ep.host, port: ep.port, unit: p.unit, outlets: p.outlets, breakerA: p.breakerA });
    }
  } catch (err) {
    await Promise.all(servers.map((s) => s.close()));
    throw err;
  }
  if (!opts.manual) sim.start();
  return {
    sim,
    endpoints,
    async stop() {
      sim.stop();
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
