// An agent config for a running simulator's endpoints (used by `sim --write-config` and `demo`).
// One mapping per simulated device kind; adding a kind adds an entry to DEVICE_CONFIG. Scenario
// loads that are not devices the agent talks to (no `device`) become `control.loads`, so the
// controller counts them and can switch their outlets.
import type { SimEndpoint } from '../../hw-sim/run.js';
import { outletPhase } from '../../hw-sim/physics/types.js';
import type { Scenario } from '../../hw-sim/scenarios/types.js';

export interface SimConfigOptions {
  readonly hubUrl?: string;
  readonly agentId?: string;
  readonly rack?: string;
  readonly metricsListen?: string;
  readonly intervalMs?: number;
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

type DeviceConfigFor = (e: SimEndpoint) => Record<string, unknown>;

const DEVICE_CONFIG: Readonly<Record<string, DeviceConfigFor>> = {
  pdu: (e) => ({
    id: e.device,
    type: 'modbus',
    profile: e.model,
    transport: { type: 'tcp', host: e.host, port: e.port },
    unit: e.params['unit'],
    outlets: e.params['outlets'],
    ...(typeof e.params['breakerA'] === 'number' ? { circuits: { breakerA: e.params['breakerA'] } } : {}),
  }),
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
      return f(e);
    }),
  };
}
