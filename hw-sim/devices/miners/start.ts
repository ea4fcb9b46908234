// Starting a simulated miner from a scenario load's `device: {model, …}` parameters:
//   hardware   key of HARDWARE (sim-miner.ts), e.g. "antminer-s19pro"
//   quirks     list (or comma-separated) of quirk names (quirks.ts)
//   restartS   seconds the daemon is gone when a command restarts it
//   password   the account password the firmware checks (factory default when absent)
//   …          firmware-specific ones, documented in each firmware file
// The RPC listens on the port the registry gives; HTTP and v3 servers take free ports, reported
// in the endpoint's params.

import type { DeviceStart, SimEndpoint, StartedDevice } from '../registry.js';
import { parseQuirks } from './quirks.js';
import type { ListeningServer } from './rpc-server.js';
import { HARDWARE, SimMiner } from './sim-miner.js';

export function startSimMiner(s: DeviceStart, defaults: { hardware: string; restartS: number }): SimMiner {
  const key = typeof s.params['hardware'] === 'string' ? s.params['hardware'] : defaults.hardware;
  const hardware = HARDWARE[key];
  if (!hardware) throw new Error(`${s.id}: unknown miner hardware "${key}" (known: ${Object.keys(HARDWARE).join(', ')})`);
  const restartS = typeof s.params['restartS'] === 'number' ? s.params['restartS'] : defaults.restartS;
  return new SimMiner(s.sim, s.id, { hardware, quirks: parseQuirks(s.params['quirks']), restartS, params: s.params });
}

export function minerEndpoint(
  s: DeviceStart,
  m: SimMiner,
  model: string,
  rpc: ListeningServer,
  o: { http?: ListeningServer; v3?: ListeningServer; user: string; password: string },
): StartedDevice {
  const spec = m.load.spec;
  const endpoint: SimEndpoint = {
    device: s.id,
    kind: 'miner',
    model,
    protocol: 'cgminer',
    host: rpc.host,
    port: rpc.port,
    params: {
      hardware: m.hw.name,
      ...(o.http ? { httpPort: o.http.port } : {}),
      v3Port: o.v3?.port ?? 0,
      user: o.user,
      password: o.password,
      pdu: spec.pdu,
      outlet: spec.outlet,
      nominalW: spec.nominalW,
      ...(m.opts.quirks.size ? { quirks: [...m.opts.quirks].join(',') } : {}),
    },
  };
  return {
    endpoint,
    close: async () => {
      await Promise.all([rpc.close(), o.http?.close(), o.v3?.close()]);
    },
  };
}

/** A string parameter with a default. */
export function param(s: DeviceStart, key: string, fallback: string): string {
  const v = s.params[key];
  return typeof v === 'string' ? v : fallback;
}
