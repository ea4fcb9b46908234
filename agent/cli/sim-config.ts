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
  // Simulated miners: firmware left to detection; HTTP and v3 ports as the simulator chose them
  // (v3Port 0 = the miner has no v3 API: do not probe it).
  miner: (e) => {
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
        ...(typeof p['pdu'] === 'string' && typeof p['outlet'] === 'number' ? { feed: { pdu: p['pdu'], outlet: p['outlet'] } } : {}),
        ...(typeof p['nominalW'] === 'number' ? { nominalW: p['nominalW'] } : {}),
      },
    };
  },
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
