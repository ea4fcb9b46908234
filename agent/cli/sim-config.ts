// An agent config for a running simulator's endpoints (used by `sim --write-config` and `demo`).
// One mapping per simulated device kind; adding a kind adds an entry to DEVICE_CONFIG.
import type { SimEndpoint } from '../../hw-sim/run.js';

export interface SimConfigOptions {
  readonly hubUrl?: string;
  readonly agentId?: string;
  readonly rack?: string;
  readonly metricsListen?: string;
  readonly intervalMs?: number;
}

type DeviceConfigFor = (e: SimEndpoint) => Record<string, unknown>;

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
  meter: modbusDevice,
};

export function configForSim(endpoints: readonly SimEndpoint[], o: SimConfigOptions = {}): Record<string, unknown> {
  return {
    agent: { id: o.agentId ?? 'rack-demo-agent', site: 'sim', rack: o.rack ?? 'rack-demo' },
    ...(o.hubUrl ? { hub: { url: o.hubUrl } } : {}),
    poll: { intervalMs: o.intervalMs ?? 1000 },
    metrics: { listen: o.metricsListen ?? '127.0.0.1:9464' },
    devices: endpoints.map((e) => {
      const f = DEVICE_CONFIG[e.kind];
      if (!f) throw new Error(`no agent config mapping for simulated ${e.kind} ${e.device}`);
      return f(e);
    }),
  };
}
