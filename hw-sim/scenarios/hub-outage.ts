// hub-outage: the hub grants a 9 kW lease at 10 s for 60 s, then becomes unreachable from 20 s to
// 110 s. The agent keeps enforcing the lease while the hub is gone, lets it expire on time (70 s),
// falls back to its local cap (15 kW) and restores in paced batches, all without the hub; its
// decisions reach the hub when the link is back. (The hub events are played by the agent-in-the-
// loop runs: tests and benchmarks cut the link, the demo sends the commands.)
import { apiMiner, FIRMWARE_MIX, nvsmiServer } from './parts.js';
import { simPdu, type Scenario } from './types.js';

export const hubOutage: Scenario = {
  name: 'hub-outage',
  description: '9 kW lease at 10 s for 60 s; hub unreachable 20–110 s; fall back to the 15 kW local cap',
  pdus: [simPdu('pdu-a')],
  loads: [
    ...[1, 2, 3, 4, 5, 6].map((o) => apiMiner(`miner-0${o}`, 'pdu-a', o, FIRMWARE_MIX[o - 1] ?? 'braiins', { nominalW: 2200, idleW: 25 })),
    ...[1, 2, 3].map((g) => nvsmiServer(`gpu-0${g}`, 'pdu-a', 6 + g, 'l40s', 8, 200, 0.3)),
  ],
  timeline: [],
  hub: [
    { atS: 10, command: { action: 'set_cap_lease', kw: 9, ttlMs: 60_000, leaseId: 'lease-1' } },
    { atS: 20, outageS: 90 },
  ],
  rackKw: 15,
  durationS: 240,
};
