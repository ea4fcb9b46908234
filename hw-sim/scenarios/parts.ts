// Building blocks for scenarios whose loads are devices the agent really talks to: a miner
// speaking its firmware's API, a GPU server answering through the fake nvidia-smi. A load given
// here keeps the physics it is written with (nominal and idle draw, ramps); the device only adds
// the protocol, so the controller's test bed (pure physics) and the agent-in-the-loop runs see
// the same rack.
import { gpuServerSpec } from '../physics/loads/gpu-server.js';
import type { ScenarioLoad } from './types.js';

/** Firmware → the simulated device model and hardware it runs on. */
const FIRMWARE = {
  braiins: { model: 'braiins-os', hardware: 'antminer-s19kpro' },
  luxos: { model: 'luxos', hardware: 'antminer-s19pro' },
  whatsminer: { model: 'whatsminer-v3', hardware: 'whatsminer-m60s', password: 'rackpilot-v3' },
  antminer: { model: 'antminer-stock', hardware: 'antminer-s19pro' },
  vnish: { model: 'vnish', hardware: 'antminer-s19pro' },
} as const;

export type Firmware = keyof typeof FIRMWARE;

/** A miner load with its firmware's API. */
export function apiMiner(id: string, pdu: string, outlet: number, firmware: Firmware, load: Partial<ScenarioLoad> = {}): ScenarioLoad {
  return { id, family: 'miner', pdu, outlet, demand: 1, ...load, device: { ...FIRMWARE[firmware] } };
}

/** Firmwares in turn, for fleets: the controller meets every actuator kind. */
export const FIRMWARE_MIX: readonly Firmware[] = ['braiins', 'luxos', 'whatsminer', 'braiins', 'luxos', 'antminer'];

/**
 * A GPU server of `count` GPUs behind the fake nvidia-smi; its nameplate and idle draw follow the
 * GPUs (gpuServerSpec) so the server's outlet draw is its base plus what its GPUs draw.
 */
export function nvsmiServer(id: string, pdu: string, outlet: number, gpu: string, count: number, baseW: number, demand: number): ScenarioLoad {
  return {
    id, family: 'gpu-server', pdu, outlet, demand, ...gpuServerSpec(gpu, count, baseW),
    device: { model: 'rackpilot-sim-gpu-host', gpus: count, gpu, driver: '550.54.15', baseW },
  };
}
