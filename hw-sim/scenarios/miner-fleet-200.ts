// miner-fleet-200: 200 miners on nine 24-outlet PDUs, the six simulated firmwares in turn, and
// every 20th miner hung (accepts a connection, never answers): 5 %. Used by the miners
// benchmark (bench/sections/miners.ts) to time one poll cycle of a large fleet.
import type { MINER_RAMPS } from '../physics/loads/miner.js';
import { minerLoad } from './miner-fleet.js';
import type { Scenario, ScenarioPdu } from './types.js';

const MODELS: readonly { model: string; ramp: keyof typeof MINER_RAMPS; hardware: string; nominalW: number; password?: string }[] = [
  { model: 'antminer-stock', ramp: 'antminer', hardware: 'antminer-s19pro', nominalW: 3250 },
  { model: 'braiins-os', ramp: 'braiins', hardware: 'antminer-s19kpro', nominalW: 2760 },
  { model: 'luxos', ramp: 'luxos', hardware: 'antminer-s19pro', nominalW: 3250 },
  { model: 'whatsminer-v2', ramp: 'whatsminer', hardware: 'whatsminer-m50s', nominalW: 3276, password: 'rackpilot-wm' },
  { model: 'whatsminer-v3', ramp: 'whatsminer', hardware: 'whatsminer-m60s', nominalW: 3422, password: 'rackpilot-v3' },
  { model: 'vnish', ramp: 'vnish', hardware: 'antminer-s19pro', nominalW: 3250 },
];

const COUNT = 200;
const PER_PDU = 24;

const pdus: ScenarioPdu[] = Array.from({ length: Math.ceil(COUNT / PER_PDU) }, (_, i) => ({
  id: `pdu-${String(i + 1).padStart(2, '0')}`, model: 'rackpilot-sim-pdu', unit: 1, phases: 3, outlets: PER_PDU, voltage: 230, frequencyHz: 50, sourceOhms: 0.02, breakerA: 125,
}));

export const minerFleet200: Scenario = {
  name: 'miner-fleet-200',
  description: '200 miners on nine PDUs, six firmwares in turn, every 20th hung (5 %)',
  pdus,
  loads: Array.from({ length: COUNT }, (_, i) => {
    const m = MODELS[i % MODELS.length]!;
    const hung = i % 20 === 19;
    return minerLoad(`m${String(i + 1).padStart(3, '0')}`, (i % PER_PDU) + 1, m.ramp, m.nominalW, {
      model: m.model, hardware: m.hardware, ...(m.password ? { password: m.password } : {}), ...(hung ? { quirks: ['hang'] } : {}),
    }, pdus[Math.floor(i / PER_PDU)]!.id);
  }),
  timeline: [],
};
