// demo: one 3-phase 24-outlet PDU (32 A per phase) feeding six miners and three GPU servers,
// every one a device on the wire (miner APIs, nvidia-smi).
// The GPU servers cycle through training-like phases (ramp to full, a checkpoint dip, idle).
// At full load they would push each phase to ~115 % of its continuous limit: the controller
// makes the miners yield within seconds, and gives them the headroom back when the AI dips or
// idles (hybrid fill).
import { apiMiner, FIRMWARE_MIX, nvsmiServer } from './parts.js';
import type { Scenario } from './types.js';

export const demo: Scenario = {
  name: 'demo',
  description: 'one PDU, 6 miners + 3 GPU servers; GPU load cycles every 60 s',
  pdus: [
    { id: 'pdu-a', model: 'rackpilot-sim-pdu', unit: 1, phases: 3, outlets: 24, voltage: 230, frequencyHz: 50, sourceOhms: 0.05, breakerA: 32 },
  ],
  loads: [
    // Miners over their firmwares' APIs (Braiins OS, LuxOS, Whatsminer v3, stock Antminer), GPU
    // servers of 8× L40S behind the fake nvidia-smi: the agent reads and drives them all on the wire.
    ...[1, 2, 3, 4, 5, 6].map((o) => apiMiner(`miner-0${o}`, 'pdu-a', o, FIRMWARE_MIX[o - 1] ?? 'braiins', { nominalW: 1900 })),
    ...[1, 2, 3].map((g) => nvsmiServer(`gpu-0${g}`, 'pdu-a', 6 + g, 'l40s', 8, 200, 0.1)),
  ],
  timeline: [
    { atS: 5, everyS: 60, loads: 'gpu-*', set: { demand: 0.95 } },
    { atS: 20, everyS: 60, loads: 'gpu-02', set: { demand: 0.4 } },
    { atS: 26, everyS: 60, loads: 'gpu-02', set: { demand: 0.95 } },
    { atS: 40, everyS: 60, loads: 'gpu-*', set: { demand: 0.1 } },
  ],
};
