// A small simulated rack for the `rackpilot diag` tests, with the faults a field tech meets:
//   pdu-a   the reference PDU (12 outlets, 32 A, switched)
//   pdu-x   a Raritan-style (xerus) PDU that the config calls a rackpilot-sim-pdu: its registers
//           do not match the configured profile
//   bos-01  Braiins OS on outlet 1, whose web password is not the configured one
//   wm2-01  Whatsminer API v2 on outlet 2 (password checked only on commands)
//   lux-03  LuxOS physically on outlet 9 while the config says outlet 7 (miswired)
//   gpu-01  a GPU server with 2 H100s on outlet 4, behind the fake nvidia-smi
// The simulator runs in the test process (stepped by hand), so tests can inject faults; the
// agent config is written to a file the bundled CLI reads, as on a controller.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { configForSim } from '../../agent/cli/sim-config.js';
import { gpuServerSpec } from '../../hw-sim/physics/loads/gpu-server.js';
import { MINER_RAMPS } from '../../hw-sim/physics/loads/miner.js';
import type { SimGpuHost } from '../../hw-sim/devices/sim-gpu-host.js';
import { startSimulator, type RunningSim } from '../../hw-sim/run.js';
import type { Scenario } from '../../hw-sim/scenarios/types.js';
import { simPdu } from '../../hw-sim/scenarios/types.js';
import { SIM_BIN } from './gpu.js';
import { tempDir } from './spool.js';

export const diagScenario: Scenario = {
  name: 'diag-rack',
  description: 'test: a rack with a miswired miner, wrong credentials and a PDU that is not what the config says',
  pdus: [simPdu('pdu-a', { outlets: 12, sourceOhms: 0 }), { ...simPdu('pdu-x', { outlets: 12, sourceOhms: 0 }), model: 'xerus-pdu' }],
  loads: [
    { id: 'bos-01', family: 'miner', pdu: 'pdu-a', outlet: 1, nominalW: 2760, demand: 1, ...MINER_RAMPS['braiins'], device: { model: 'braiins-os', hardware: 'antminer-s19kpro', password: 'bos-site-pw' } },
    { id: 'wm2-01', family: 'miner', pdu: 'pdu-a', outlet: 2, nominalW: 3276, demand: 1, ...MINER_RAMPS['whatsminer'], device: { model: 'whatsminer-v2', hardware: 'whatsminer-m50s', password: 'wm-site-pw' } },
    { id: 'lux-03', family: 'miner', pdu: 'pdu-a', outlet: 9, nominalW: 3250, demand: 1, ...MINER_RAMPS['luxos'], device: { model: 'luxos', hardware: 'antminer-s19pro' } },
    { id: 'gpu-01', family: 'gpu-server', pdu: 'pdu-a', outlet: 4, demand: 0.8, ...gpuServerSpec('h100-sxm5', 2, 800), device: { model: 'rackpilot-sim-gpu-host', gpus: 2, gpu: 'h100-sxm5', driver: '550.54.15', baseW: 800 } },
    { id: 's9-x1', family: 'miner', pdu: 'pdu-x', outlet: 1, nominalW: 1350, demand: 1 }, // no API: a load the agent only meters
  ],
  timeline: [],
};

export interface DiagRack {
  readonly sim: RunningSim;
  readonly dir: string;
  readonly gpu: SimGpuHost;
  /** Writes a config for the rack (patched by `patch`) and a password file; returns its path. */
  writeConfig(name: string, patch?: (raw: RawConfig) => void): Promise<string>;
  stop(): Promise<void>;
}

export type RawConfig = Record<string, unknown> & { devices: Record<string, unknown>[] };

export function device(raw: RawConfig, id: string): Record<string, unknown> {
  const d = raw.devices.find((x) => x['id'] === id);
  if (!d) throw new Error(`no device ${id} in the config`);
  return d;
}

/**
 * The config a site would have, with two mistakes in it: lux-03's feed says outlet 7, and pdu-x
 * is called a rackpilot-sim-pdu. bos-01's password file holds a wrong password unless patched.
 */
export async function startDiagRack(): Promise<DiagRack> {
  const sim = await startSimulator(diagScenario, { basePort: 0, manual: true });
  sim.sim.advance(30); // loads at their steady draw
  const dir = await tempDir('rp-diag-rack-');
  const gpuEp = sim.endpoints.find((e) => e.kind === 'gpu-host');
  const gpu = sim.controls.get(gpuEp?.device ?? '') as SimGpuHost;
  await writeFile(join(dir, 'bos-01.pw'), 'not-the-password\n', { mode: 0o600 });
  await writeFile(join(dir, 'wm2-01.pw'), 'wm-site-pw\n', { mode: 0o600 });
  return {
    sim, dir, gpu,
    async writeConfig(name, patch) {
      const raw = configForSim(sim.endpoints, { metricsListen: '127.0.0.1:0', nvidiaSmi: join(SIM_BIN, 'nvidia-smi'), scenario: diagScenario, agentId: 'rack-t1-agent', rack: 'rack-t1' }) as RawConfig;
      delete raw['control'];
      raw.devices = raw.devices.map((d) => (d['type'] === 'miner' ? { timeoutMs: 2000, connectTimeoutMs: 1000, ...d } : d));
      device(raw, 'lux-03')['load'] = { feed: { pdu: 'pdu-a', outlet: 7 }, nominalW: 3250 };
      Object.assign(device(raw, 'pdu-x'), { profile: 'rackpilot-sim-pdu', outlets: 12 });
      device(raw, 'bos-01')['credentials'] = { passwordFile: 'bos-01.pw' };
      device(raw, 'wm2-01')['credentials'] = { passwordFile: 'wm2-01.pw' };
      patch?.(raw);
      const path = join(dir, name);
      await writeFile(path, stringify(raw));
      return path;
    },
    stop: () => sim.stop(),
  };
}
