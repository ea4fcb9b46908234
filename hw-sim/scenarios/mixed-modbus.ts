// mixed-modbus: one simulated device for every built-in Modbus profile. Four PDUs on Modbus/TCP
// (Xerus, NETIO, GUDE and the reference PDU); three meters on one RS-485 bus reached through a
// pty at 9600 8N1 with line timing (SDM630 on the Xerus inlet, EM24 on its first twelve outlets,
// SDM120 on NETIO outlet 1); a PM5xxx behind an RTU-over-TCP gateway on the reference PDU's
// inlet. Needs socat (the pty); `demo` does not.
import type { Scenario } from './types.js';

export const mixedModbus: Scenario = {
  name: 'mixed-modbus',
  description: 'every built-in Modbus profile: 4 PDUs on TCP, 3 meters on an RS-485 pty, 1 behind an RTU gateway',
  pdus: [
    { id: 'pdu-x', model: 'xerus-pdu', unit: 1, phases: 3, outlets: 24, voltage: 230, frequencyHz: 50, sourceOhms: 0.05, breakerA: 32 },
    { id: 'pdu-n', model: 'netio-powerpdu', unit: 1, phases: 1, outlets: 8, voltage: 230, frequencyHz: 50, sourceOhms: 0.1, breakerA: 16 },
    { id: 'pdu-g', model: 'gude-expert-pdu', unit: 1, phases: 1, outlets: 8, voltage: 230, frequencyHz: 50, sourceOhms: 0.1, breakerA: 16 },
    { id: 'pdu-s', model: 'rackpilot-sim-pdu', unit: 1, phases: 3, outlets: 12, voltage: 230, frequencyHz: 50, sourceOhms: 0.05, breakerA: 32 },
  ],
  meters: [
    { id: 'meter-inlet', model: 'eastron-sdm630', unit: 1, pdu: 'pdu-x', link: { type: 'rtu', bus: 'rs485' } },
    { id: 'meter-branch', model: 'carlo-gavazzi-em24', unit: 2, pdu: 'pdu-x', outlets: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], link: { type: 'rtu', bus: 'rs485' } },
    { id: 'meter-outlet', model: 'eastron-sdm120', unit: 3, pdu: 'pdu-n', outlets: [1], link: { type: 'rtu', bus: 'rs485' } },
    { id: 'meter-feed', model: 'schneider-pm5xxx', unit: 4, pdu: 'pdu-s', link: { type: 'rtu', bus: 'gateway' } },
  ],
  buses: [
    { id: 'rs485', baud: 9600, parity: 'none', expose: 'pty', turnaroundMs: 2 },
    { id: 'gateway', baud: 19200, parity: 'even', expose: 'gateway', turnaroundMs: 2 },
  ],
  loads: [
    ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((o) => ({ id: `miner-x${o}`, family: 'miner', pdu: 'pdu-x', outlet: o, nominalW: 1800 + o * 10, demand: 1 })),
    ...[13, 14, 15].map((o) => ({ id: `gpu-x${o}`, family: 'gpu-server', pdu: 'pdu-x', outlet: o, nominalW: 1500, idleW: 400, demand: 0.6 })),
    { id: 'miner-n1', family: 'miner', pdu: 'pdu-n', outlet: 1, nominalW: 1400, demand: 1 },
    { id: 'gpu-n2', family: 'gpu-server', pdu: 'pdu-n', outlet: 2, nominalW: 1200, idleW: 300, demand: 0.5 },
    { id: 'miner-g1', family: 'miner', pdu: 'pdu-g', outlet: 1, nominalW: 1300, demand: 1 },
    ...[1, 2, 3, 4].map((o) => ({ id: `miner-s${o}`, family: 'miner', pdu: 'pdu-s', outlet: o, nominalW: 2000, demand: 1 })),
  ],
  timeline: [
    { atS: 10, everyS: 30, loads: 'gpu-*', set: { demand: 0.95 } },
    { atS: 25, everyS: 30, loads: 'gpu-*', set: { demand: 0.3 } },
  ],
};
