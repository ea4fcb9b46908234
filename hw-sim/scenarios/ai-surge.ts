// ai-surge: GPU servers ramp from idle to full while miners run. One 3-phase 32 A PDU (25.6 A
// continuous per phase): per phase two 2.2 kW miners and one 4 kW GPU server. Idle GPUs leave
// the phases at ~88 % of the continuous limit; at full load they would reach ~143 % (114 % of
// the breaker) unless the miners yield. The GPUs surge at 20 s, fall back to idle at 120 s (the
// miners may fill the headroom again) and surge once more at 180 s.
import { simPdu, type Scenario } from './types.js';

export const aiSurge: Scenario = {
  name: 'ai-surge',
  description: 'one PDU, 6 miners + 3 GPU servers; GPUs surge idle → full at 20 s and 180 s',
  pdus: [simPdu('pdu-a')],
  loads: [
    ...[1, 2, 3, 4, 5, 6].map((o) => ({ id: `miner-0${o}`, family: 'miner', pdu: 'pdu-a', outlet: o, nominalW: 2200, idleW: 25, demand: 1 })),
    ...[1, 2, 3].map((g) => ({ id: `gpu-0${g}`, family: 'gpu-server', pdu: 'pdu-a', outlet: 6 + g, nominalW: 4000, idleW: 800, demand: 0 })),
  ],
  timeline: [
    { atS: 20, loads: 'gpu-*', set: { demand: 1 } },
    { atS: 120, loads: 'gpu-*', set: { demand: 0 } },
    { atS: 180, loads: 'gpu-*', set: { demand: 1 } },
  ],
  durationS: 240,
};
