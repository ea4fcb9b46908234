// ai-surge: GPU servers ramp from idle to full while miners run. One 3-phase 32 A PDU (25.6 A
// continuous per phase): per phase two 2.2 kW miners and one 4 kW GPU server. Idle GPUs leave
// the phases at ~88 % of the continuous limit; at full load they would reach ~143 % (114 % of
// the breaker) unless the miners yield. The GPUs surge at 20 s, fall back to idle at 120 s (the
// miners may fill the headroom again) and surge once more at 180 s.
import { apiMiner, FIRMWARE_MIX, nvsmiServer } from './parts.js';
import { simPdu, type Scenario } from './types.js';

export const aiSurge: Scenario = {
  name: 'ai-surge',
  description: 'one PDU, 6 miners + 3 GPU servers; GPUs surge idle → full at 20 s and 180 s',
  pdus: [simPdu('pdu-a')],
  loads: [
    ...[1, 2, 3, 4, 5, 6].map((o) => apiMiner(`miner-0${o}`, 'pdu-a', o, FIRMWARE_MIX[o - 1] ?? 'braiins', { nominalW: 2200, idleW: 25 })),
    // 8× RTX 4090 at 450 W and a 400 W base: 4.0 kW at full load, 0.56 kW idle.
    ...[1, 2, 3].map((g) => nvsmiServer(`gpu-0${g}`, 'pdu-a', 6 + g, 'rtx-4090', 8, 400, 0)),
  ],
  timeline: [
    { atS: 20, loads: 'gpu-*', set: { demand: 1 } },
    { atS: 120, loads: 'gpu-*', set: { demand: 0 } },
    { atS: 180, loads: 'gpu-*', set: { demand: 1 } },
  ],
  durationS: 240,
};
