// demo: one 3-phase 24-outlet PDU (32 A per phase) feeding six miners and three GPU servers.
// The GPU servers cycle through training-like phases (ramp to full, a checkpoint dip, idle).
// At full load they would push each phase to ~115 % of its continuous limit: the controller
// makes the miners yield within seconds, and gives them the headroom back when the AI dips or
// idles (hybrid fill).
import type { Scenario } from './types.js';

export const demo: Scenario = {
  name: 'demo',
  description: 'one PDU, 6 miners + 3 GPU servers; GPU load cycles every 60 s',
  pdus: [
    { id: 'pdu-a', model: 'rackpilot-sim-pdu', unit: 1, phases: 3, outlets: 24, voltage: 230, frequencyHz: 50, sourceOhms: 0.05, breakerA: 32 },
  ],
  loads: [
    ...[1, 2, 3, 4, 5, 6].map((o) => ({ id: `miner-0${o}`, family: 'miner', pdu: 'pdu-a', outlet: o, nominalW: 1900, demand: 1 })),
    ...[1, 2, 3].map((g) => ({ id: `gpu-0${g}`, family: 'gpu-server', pdu: 'pdu-a', outlet: 6 + g, nominalW: 3000, idleW: 500, demand: 0.1 })),
  ],
  timeline: [
    { atS: 5, everyS: 60, loads: 'gpu-*', set: { demand: 0.95 } },
    { atS: 20, everyS: 60, loads: 'gpu-02', set: { demand: 0.4 } },
    { atS: 26, everyS: 60, loads: 'gpu-02', set: { demand: 0.95 } },
    { atS: 40, everyS: 60, loads: 'gpu-*', set: { demand: 0.1 } },
  ],
};
