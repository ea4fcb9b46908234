// full-rack: the reference full rack for footprint and latency benchmarks: four 3-phase 24-outlet
// PDUs (32 A), each feeding ten 1.2 kW miners and two 4 kW GPU servers (40 miners, 8 GPU
// servers in all). The GPUs surge together every 30 s and idle again 15 s later, so the
// controller sheds and restores all the time.
import { apiMiner, FIRMWARE_MIX, nvsmiServer } from './parts.js';
import { simPdu, type Scenario, type ScenarioLoad } from './types.js';

const PDUS = ['pdu-a', 'pdu-b', 'pdu-c', 'pdu-d'];

export const fullRack: Scenario = {
  name: 'full-rack',
  description: '4 PDUs, 40 miners, 8 GPU servers; GPUs surge every 30 s',
  pdus: PDUS.map((id) => simPdu(id)),
  loads: PDUS.flatMap((pdu, p): ScenarioLoad[] => [
    ...Array.from({ length: 10 }, (_, i) => apiMiner(`miner-${p * 10 + i + 1}`, pdu, i + 1, FIRMWARE_MIX[(p * 10 + i) % FIRMWARE_MIX.length] ?? 'braiins', { nominalW: 1200, idleW: 25 })),
    ...[0, 1].map((g) => nvsmiServer(`gpu-${p * 2 + g + 1}`, pdu, 11 + g, 'rtx-4090', 8, 400, 0)),
  ]),
  timeline: [
    { atS: 10, everyS: 30, loads: 'gpu-*', set: { demand: 1 } },
    { atS: 25, everyS: 30, loads: 'gpu-*', set: { demand: 0 } },
  ],
  durationS: 300,
};
