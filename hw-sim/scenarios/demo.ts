// demo: one 3-phase 24-outlet PDU (32 A per phase) feeding six miners and three GPU servers.
// The GPU servers cycle through training-like phases (ramp to full, a checkpoint dip, idle),
// so phase currents move between ~70 % and ~90 % of the 80 % continuous limit.
import type { Scenario } from './types.js';

export const demo: Scenario = {
  name: 'demo',
  description: 'one PDU, 6 miners + 3 GPU servers; GPU load cycles every 60 s',
  pdus: [
    { id: 'pdu-a', model: 'rackpilot-sim-pdu', unit: 1, phases: 3, outlets: 24, voltage: 230, frequencyHz: 50, sourceOhms: 0.05, breakerA: 32 },
  ],
  loads: [
    ...[1, 2, 3, 4, 5, 6].map((o) => ({ id: `miner-0${o}`, family: 'miner', pdu: 'pdu-a', outlet: o, nominalW: 1900, demand: 1 })),
    ...[1, 2, 3].map((g) => ({ id: `gpu-0${g}`, family: 'gpu-server', pdu: 'pdu-a', outlet: 6 + g, nominalW: 1500, idleW: 400, demand: 0.1 })),
  ],
  timeline: [
    { atS: 5, everyS: 60, loads: 'gpu-*', set: { demand: 0.95 } },
    { atS: 20, everyS: 60, loads: 'gpu-02', set: { demand: 0.4 } },
    { atS: 26, everyS: 60, loads: 'gpu-02', set: { demand: 0.95 } },
    { atS: 40, everyS: 60, loads: 'gpu-*', set: { demand: 0.1 } },
  ],
};
