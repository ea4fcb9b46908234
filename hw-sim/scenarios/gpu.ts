// gpu: one 63 A 3-phase PDU feeding two 8×H100 servers reached through the fake nvidia-smi
// (hw-sim/bin/nvidia-smi; docs/hw-sim.md) and two miners. gpu-01 trains steadily; gpu-02
// alternates between a job and idle every 30 s, so GPU power and temperatures move.
import { gpuServerSpec } from '../physics/loads/gpu-server.js';
import type { Scenario } from './types.js';

const host = (id: string, outlet: number, demand: number) => ({
  id, family: 'gpu-server', pdu: 'pdu-a', outlet, demand, ...gpuServerSpec('h100-sxm5', 8, 1200),
  device: { model: 'rackpilot-sim-gpu-host', gpus: 8, gpu: 'h100-sxm5', driver: '550.54.15', baseW: 1200 },
});

export const gpu: Scenario = {
  name: 'gpu',
  description: 'one PDU, 2 GPU servers (8× H100 each, via the fake nvidia-smi) + 2 miners',
  pdus: [
    { id: 'pdu-a', model: 'rackpilot-sim-pdu', unit: 1, phases: 3, outlets: 24, voltage: 230, frequencyHz: 50, sourceOhms: 0.03, breakerA: 63 },
  ],
  loads: [
    host('gpu-01', 1, 0.85),
    host('gpu-02', 2, 0.1),
    { id: 'miner-01', family: 'miner', pdu: 'pdu-a', outlet: 3, nominalW: 3250, demand: 1 },
    { id: 'miner-02', family: 'miner', pdu: 'pdu-a', outlet: 6, nominalW: 3250, demand: 1 },
  ],
  timeline: [
    { atS: 10, everyS: 60, loads: 'gpu-02', set: { demand: 0.9 } },
    { atS: 40, everyS: 60, loads: 'gpu-02', set: { demand: 0.1 } },
  ],
};
