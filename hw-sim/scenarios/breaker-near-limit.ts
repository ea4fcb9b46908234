// breaker-near-limit: an hour with the phases hovering around their continuous limit: the AI load
// wanders a few percent every 20 s on top of miners that fill the rest. The trip curve tolerates
// the small excursions (no churn), the hysteresis keeps restores from oscillating, and the
// breaker never comes near tripping.
import { simPdu, type Scenario } from './types.js';

export const breakerNearLimit: Scenario = {
  name: 'breaker-near-limit',
  description: 'phases at ~95–101 % of the continuous limit for an hour; no churn, no trip',
  pdus: [simPdu('pdu-a')],
  loads: [
    ...[1, 2, 3, 4, 5, 6].map((o) => ({ id: `miner-0${o}`, family: 'miner', pdu: 'pdu-a', outlet: o, nominalW: 1800, idleW: 25, demand: 1 })),
    ...[1, 2, 3].map((g) => ({ id: `gpu-0${g}`, family: 'gpu-server', pdu: 'pdu-a', outlet: 6 + g, nominalW: 3000, idleW: 600, demand: 0.7 })),
  ],
  timeline: [
    { atS: 20, everyS: 40, loads: 'gpu-*', set: { demand: 0.74 } },
    { atS: 40, everyS: 40, loads: 'gpu-*', set: { demand: 0.68 } },
    { atS: 30, everyS: 60, loads: 'gpu-02', set: { demand: 0.78 } },
  ],
  durationS: 3600,
};
