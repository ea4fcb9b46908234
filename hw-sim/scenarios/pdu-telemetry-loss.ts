// pdu-telemetry-loss: the PDU stops answering for 40 s while the rack runs near its limit. The
// controller holds its readings for failsafe.staleAfterMs, then estimates every phase from the
// loads' setpoints and recent peaks: it restores nothing while blind (the AI job that ends at
// 40 s frees headroom it cannot see), and when the AI surges again at 55 s the miners are still
// held at their safe setpoints. Readings come back at 70 s and the controller regulates on them.
import { aiSurge } from './ai-surge.js';
import type { Scenario } from './types.js';

export const pduTelemetryLoss: Scenario = {
  ...aiSurge,
  name: 'pdu-telemetry-loss',
  description: 'PDU silent from 30 s to 70 s while AI load changes; hold, estimate, no blind restores',
  timeline: [
    { atS: 10, loads: 'gpu-*', set: { demand: 1 } },
    { atS: 30, fault: 'telemetry_loss', target: 'pdu-a', forS: 40 },
    { atS: 40, loads: 'gpu-*', set: { demand: 0.1 } },
    { atS: 55, loads: 'gpu-*', set: { demand: 1 } },
  ],
  durationS: 150,
};
