// breaker-near-limit: an hour with the phases hovering around their continuous limit: the AI load
// wanders a few percent every 20 s on top of miners that fill the rest. The trip curve tolerates
// the small excursions (no churn), the hysteresis keeps restores from oscillating, and the
// breaker never comes near tripping.
import { apiMiner, FIRMWARE_MIX, nvsmiServer } from './parts.js';
import { simPdu, type Scenario } from './types.js';

export const breakerNearLimit: Scenario = {
  name: 'breaker-near-limit',
  description: 'phases at ~95–101 % of the continuous limit for an hour; no churn, no trip',
  pdus: [simPdu('pdu-a')],
  loads: [
    ...[1, 2, 3, 4, 5, 6].map((o) => apiMiner(`miner-0${o}`, 'pdu-a', o, FIRMWARE_MIX[o - 1] ?? 'braiins', { nominalW: 1800, idleW: 25 })),
    ...[1, 2, 3].map((g) => nvsmiServer(`gpu-0${g}`, 'pdu-a', 6 + g, 'l40s', 8, 200, 0.7)),
  ],
  timeline: [
    { atS: 20, everyS: 40, loads: 'gpu-*', set: { demand: 0.74 } },
    { atS: 40, everyS: 40, loads: 'gpu-*', set: { demand: 0.68 } },
    { atS: 30, everyS: 60, loads: 'gpu-02', set: { demand: 0.78 } },
  ],
  durationS: 3600,
};
