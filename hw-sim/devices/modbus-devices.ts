// Starts a scenario's Modbus devices (PDUs and meters): each TCP device on its own port, each
// RTU device as a unit on its bus, every bus reachable through a pty (socat) or as an
// RTU-over-TCP gateway. Returns what an agent config needs, and each device's fault injector.

import type { Scenario, ScenarioBus, ScenarioLink } from '../scenarios/types.js';
import type { Simulation } from '../simulation.js';
import { FaultInjector } from './faults.js';
import { serveModbus, type ModbusEndpoint, type SimUnit } from './modbus-server.js';
import { ptyBridge, type PtyBridge } from './pty.js';
import { MODBUS_MODELS, type SimEndpoint } from './registry.js';

export interface RunningBus {
  readonly spec: ScenarioBus;
  readonly server: ModbusEndpoint;
  readonly pty?: PtyBridge;
  readonly units: Map<number, SimUnit>;
}

export interface StartedModbus {
  readonly endpoints: readonly SimEndpoint[];
  readonly faults: ReadonlyMap<string, FaultInjector>;
  /** Servers by device id (TCP devices) and by bus id. */
  readonly servers: ReadonlyMap<string, ModbusEndpoint>;
  readonly buses: ReadonlyMap<string, RunningBus>;
  close(): Promise<void>;
}

interface Wanted {
  readonly id: string;
  readonly model: string;
  readonly unit: number;
  readonly pdu: string;
  readonly outlets?: readonly number[];
  readonly link: ScenarioLink;
  readonly params: Record<string, string | number | boolean>;
}

function wanted(s: Scenario): Wanted[] {
  return [
    ...s.pdus.map((p): Wanted => ({ id: p.id, model: p.model, unit: p.unit, pdu: p.id, link: p.link ?? { type: 'tcp' }, params: { outlets: p.outlets, breakerA: p.breakerA } })),
    ...(s.meters ?? []).map((m): Wanted => ({ id: m.id, model: m.model, unit: m.unit, pdu: m.pdu, link: m.link ?? { type: 'tcp' }, params: {}, ...(m.outlets ? { outlets: m.outlets } : {}) })),
  ];
}

async function startBus(spec: ScenarioBus, units: Map<number, SimUnit>, host: string, port: number): Promise<RunningBus> {
  const format = { baud: spec.baud, parity: spec.parity, dataBits: spec.dataBits ?? 8, stopBits: spec.stopBits ?? 1 };
  const server = await serveModbus({
    framing: 'rtu', host, port, unit: (id) => units.get(id),
    ...(spec.emulateTiming !== false ? { timing: { format, turnaroundMs: spec.turnaroundMs ?? 0 } } : {}),
  });
  if (spec.expose === 'gateway') return { spec, server, units };
  try {
    return { spec, server, units, pty: await ptyBridge(server.port) };
  } catch (err) {
    await server.close();
    throw err;
  }
}

/** TCP devices take ports first (in scenario order), then the buses, so `--port-base` numbering is stable. */
export async function startModbusDevices(sim: Simulation, scenario: Scenario, o: { host: string; nextPort: () => number }): Promise<StartedModbus> {
  const buses = new Map<string, RunningBus>();
  const servers = new Map<string, ModbusEndpoint>();
  const faults = new Map<string, FaultInjector>();
  const endpoints: SimEndpoint[] = [];
  const close = async (): Promise<void> => {
    await Promise.all([...servers.values()].map((s) => s.close()));
    await Promise.all([...buses.values()].map((b) => b.pty?.close() ?? Promise.resolve()));
  };
  try {
    const onBus: { w: Wanted; bus: string; kind: string; switched: boolean }[] = [];
    const busUnits = new Map((scenario.buses ?? []).map((b) => [b.id, new Map<number, SimUnit>()]));
    for (const w of wanted(scenario)) {
      if (!scenario.pdus.some((p) => p.id === w.pdu)) throw new Error(`scenario ${scenario.name}: ${w.id} meters unknown PDU "${w.pdu}"`);
      const model = MODBUS_MODELS.get(w.model);
      if (!model) throw new Error(`scenario ${scenario.name}: ${w.id} has unknown Modbus model "${w.model}" (known: ${[...MODBUS_MODELS.keys()].join(', ')})`);
      const unit: SimUnit = {
        slave: model.slave({ sim, pdu: w.pdu, units: [w.unit], ...(w.outlets ? { outlets: w.outlets } : {}) }),
        faults: new FaultInjector(),
        silent: () => sim.faultActive(w.id, 'telemetry_loss'),
      };
      faults.set(w.id, unit.faults);
      if (w.link.type === 'tcp') {
        const server = await serveModbus({ framing: 'tcp', host: o.host, port: o.nextPort(), unit: (id) => (model.anyUnit || id === w.unit ? unit : undefined), device: unit });
        servers.set(w.id, server);
        endpoints.push({ device: w.id, kind: model.kind, model: w.model, protocol: 'modbus-tcp', host: server.host, port: server.port, params: { ...w.params, unit: w.unit, switched: model.switched } });
        continue;
      }
      const units = busUnits.get(w.link.bus);
      if (!units) throw new Error(`scenario ${scenario.name}: ${w.id} is on unknown bus "${w.link.bus}"`);
      if (units.has(w.unit)) throw new Error(`scenario ${scenario.name}: unit ${w.unit} is used twice on bus ${w.link.bus}`);
      units.set(w.unit, unit);
      onBus.push({ w, bus: w.link.bus, kind: model.kind, switched: model.switched });
    }
    for (const spec of scenario.buses ?? []) {
      const bus = await startBus(spec, busUnits.get(spec.id) as Map<number, SimUnit>, o.host, o.nextPort());
      buses.set(spec.id, bus);
      servers.set(spec.id, bus.server);
    }
    for (const { w, bus: id, kind, switched } of onBus) {
      const bus = buses.get(id) as RunningBus;
      const s = bus.spec;
      const base = { device: w.id, kind, model: w.model };
      const params = { ...w.params, unit: w.unit, switched, bus: s.id };
      endpoints.push(bus.pty
        ? { ...base, protocol: 'modbus-rtu', host: '', port: 0, params: { ...params, path: bus.pty.path, baud: s.baud, parity: s.parity, dataBits: s.dataBits ?? 8, stopBits: s.stopBits ?? 1 } }
        : { ...base, protocol: 'modbus-rtu-over-tcp', host: bus.server.host, port: bus.server.port, params });
    }
    for (const f of scenario.faults ?? []) {
      const inj = faults.get(f.device);
      if (!inj) throw new Error(`scenario ${scenario.name}: fault for unknown device "${f.device}"`);
      inj.inject(f.fault);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { endpoints, faults, servers, buses, close };
}
