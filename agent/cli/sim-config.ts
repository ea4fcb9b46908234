// An agent config for a running simulator's endpoints (used by `sim --write-config` and `demo`).
// One mapping per simulated device kind; adding a kind adds an entry to DEVICE_CONFIG. Scenario
// loads that are not devices the agent talks to (no `device`) become `control.loads`, so the
// controller counts them and can switch their outlets.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SimEndpoint } from '../../hw-sim/run.js';
import { outletPhase } from '../../hw-sim/physics/types.js';
import type { Scenario } from '../../hw-sim/scenarios/types.js';

export interface SimConfigOptions {
  readonly hubUrl?: string;
  readonly agentId?: string;
  readonly rack?: string;
  readonly metricsListen?: string;
  readonly intervalMs?: number;
  /** The fake nvidia-smi for simulated GPU hosts (default: findFakeNvidiaSmi()). */
  readonly nvidiaSmi?: string;
  /** Describe the scenario's driverless loads in `control.loads`. */
  readonly scenario?: Scenario;
  /** `control.rackKw` (default: the scenario's). */
  readonly rackKw?: number;
}

/** The controller's class for a simulated load family. */
const CLASS_OF: Readonly<Record<string, string>> = { miner: 'miner', 'gpu-server': 'ai-critical' };

/** `control.loads` entries for the scenario's loads that no driver describes. */
export function controlLoadsFor(s: Scenario): Record<string, unknown>[] {
  return s.loads.filter((l) => !l.device).map((l) => {
    const pdu = s.pdus.find((p) => p.id === l.pdu);
    const phase = pdu && pdu.phases === 3 ? { phase: `L${outletPhase(pdu, l.outlet)}` } : {};
    return {
      id: l.id,
      load: { class: CLASS_OF[l.family] ?? 'infrastructure', feed: { pdu: l.pdu, outlet: l.outlet, ...phase }, ...(l.nominalW !== undefined ? { nominalW: l.nominalW } : {}) },
    };
  });
}

/**
 * `load.feed` of a simulated device that is a load: its PDU outlet (params pdu/outlet), with the
 * phase when the scenario says which, so the controller knows the circuit it loads.
 */
function feedOf(e: SimEndpoint, o: SimConfigOptions): Record<string, unknown> {
  const pduId = e.params['pdu'];
  const outlet = e.params['outlet'];
  if (typeof pduId !== 'string' || typeof outlet !== 'number') return {};
  const pdu = o.scenario?.pdus.find((p) => p.id === pduId);
  return { feed: { pdu: pduId, outlet, ...(pdu && pdu.phases === 3 ? { phase: `L${outletPhase(pdu, outlet)}` } : {}) } };
}

type DeviceConfigFor = (e: SimEndpoint, o: SimConfigOptions) => Record<string, unknown>;

/**
 * Where hw-sim's fake nvidia-smi is: $RACKPILOT_SIM_NVIDIA_SMI, next to the bundle
 * (dist/sim-bin/, copied by build/bundle.mjs), or in a checkout (hw-sim/bin/); else the name,
 * for a PATH that has it first.
 */
export function findFakeNvidiaSmi(): string {
  const candidates = [process.env['RACKPILOT_SIM_NVIDIA_SMI'], join(dirname(process.argv[1] ?? '.'), 'sim-bin/nvidia-smi'), join(process.cwd(), 'hw-sim/bin/nvidia-smi')];
  return candidates.find((c): c is string => c !== undefined && c !== '' && existsSync(c)) ?? 'nvidia-smi';
}

/** The `transport` of a simulated Modbus device, by how hw-sim serves it. */
function modbusTransport(e: SimEndpoint): Record<string, unknown> {
  const p = e.params;
  switch (e.protocol) {
    case 'modbus-rtu':
      return { type: 'rtu', path: p['path'], baud: p['baud'], parity: p['parity'], dataBits: p['dataBits'], stopBits: p['stopBits'] };
    case 'modbus-rtu-over-tcp':
      return { type: 'rtu-over-tcp', host: e.host, port: e.port };
    default:
      return { type: 'tcp', host: e.host, port: e.port };
  }
}

const modbusDevice: DeviceConfigFor = (e) => ({
  id: e.device,
  type: 'modbus',
  profile: e.model,
  transport: modbusTransport(e),
  unit: e.params['unit'],
  ...(typeof e.params['outlets'] === 'number' ? { outlets: e.params['outlets'] } : {}),
  ...(e.params['switched'] === true ? { outletSwitching: true } : {}),
  ...(typeof e.params['breakerA'] === 'number' ? { circuits: { breakerA: e.params['breakerA'] } } : {}),
});

const DEVICE_CONFIG: Readonly<Record<string, DeviceConfigFor>> = {
  pdu: modbusDevice,
  // A simulated meter measures a PDU of the scenario (all of it, or some of its outlets): that
  // power is counted at the PDU already.
  meter: (e, o) => ({ ...modbusDevice(e, o), rackPower: false }),
  // The fake nvidia-smi finds its simulated host through RACKPILOT_SIM_NVSMI, set by the prefix
  // exactly as a real site would put `ssh gpu01` there.
  'gpu-host': (e, o) => ({
    id: e.device,
    type: 'gpu-host',
    gpus: e.params['gpus'],
    prefix: ['env', `RACKPILOT_SIM_NVSMI=${e.host}:${e.port}`],
    nvidiaSmi: o.nvidiaSmi ?? findFakeNvidiaSmi(),
    load: { class: 'ai-critical', ...feedOf(e, o) },
  }),
  // Simulated miners: firmware left to detection; HTTP and v3 ports as the simulator chose them
  // (v3Port 0 = the miner has no v3 API: do not probe it).
  miner: (e, o) => {
    const p = e.params;
    const password = typeof p['password'] === 'string' && p['password'] ? p['password'] : undefined;
    return {
      id: e.device,
      type: 'miner',
      host: e.host,
      port: e.port,
      ...(typeof p['httpPort'] === 'number' ? { httpPort: p['httpPort'] } : {}),
      v3Port: typeof p['v3Port'] === 'number' ? p['v3Port'] : 0,
      ...(password ? { credentials: { user: p['user'], password } } : {}),
      load: {
        ...feedOf(e, o),
        ...(typeof p['nominalW'] === 'number' ? { nominalW: p['nominalW'] } : {}),
      },
    };
  },
};

function controlSection(o: SimConfigOptions): Record<string, unknown> {
  const rackKw = o.rackKw ?? o.scenario?.rackKw;
  if (!o.scenario && rackKw === undefined) return {};
  return { control: { ...(rackKw !== undefined ? { rackKw } : {}), ...(o.scenario ? { loads: controlLoadsFor(o.scenario) } : {}) } };
}

export function configForSim(endpoints: readonly SimEndpoint[], o: SimConfigOptions = {}): Record<string, unknown> {
  return {
    agent: { id: o.agentId ?? 'rack-demo-agent', site: 'sim', rack: o.rack ?? 'rack-demo' },
    ...(o.hubUrl ? { hub: { url: o.hubUrl } } : {}),
    poll: { intervalMs: o.intervalMs ?? 1000 },
    metrics: { listen: o.metricsListen ?? '127.0.0.1:9464' },
    ...controlSection(o),
    devices: endpoints.map((e) => {
      const f = DEVICE_CONFIG[e.kind];
      if (!f) throw new Error(`no agent config mapping for simulated ${e.kind} ${e.device}`);
      return f(e, o);
    }),
  };
}
