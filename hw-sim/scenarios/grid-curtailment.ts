// grid-curtailment: a demand-response event. The hub sends a grid event at 20 s: the rack must be
// at or below 6 kW 60 s later, for two minutes. The controller ramps its budget down towards the
// deadline (miners first, least efficient first; the AI keeps running), holds the target, and
// restores in paced batches when the event ends.
import { apiMiner, FIRMWARE_MIX, nvsmiServer } from './parts.js';
import { simPdu, type Scenario } from './types.js';

export const gridCurtailment: Scenario = {
  name: 'grid-curtailment',
  description: 'grid event at 20 s: ≤ 6 kW from 80 s to 200 s, then restore',
  pdus: [simPdu('pdu-a')],
  loads: [
    ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((o) => apiMiner(`miner-0${o}`, 'pdu-a', o, FIRMWARE_MIX[(o - 1) % FIRMWARE_MIX.length] ?? 'braiins', { nominalW: 1400 + 100 * o, idleW: 25 })),
    ...[1, 2, 3].map((g) => nvsmiServer(`gpu-0${g}`, 'pdu-a', 9 + g, 'l40s', 6, 400, 0.5)),
  ],
  timeline: [],
  hub: [{ atS: 20, command: { action: 'grid_event', eventId: 'dr-1', targetKw: 6, startInMs: 60_000, durationMs: 120_000 } }],
  rackKw: 20,
  durationS: 320,
};
