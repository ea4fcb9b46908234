// miner-fleet: one 3-phase 80 A PDU feeding eleven ASIC miners across every simulated firmware
// (stock Antminer, Braiins OS, LuxOS, Whatsminer API v2 and v3, VNish), each on its own RPC port
// with its firmware's ramp times. Some show quirks from the catalogue: an S9 whose stats miss a
// comma, a Whatsminer with btminer's malformed output, and one hung miner (accepts, never answers).
import { MINER_RAMPS } from '../physics/loads/miner.js';
import type { Scenario, ScenarioLoad } from './types.js';

export function minerLoad(id: string, outlet: number, firmware: keyof typeof MINER_RAMPS, nominalW: number, device: ScenarioLoad['device'], pdu = 'pdu-m'): ScenarioLoad {
  return { id, family: 'miner', pdu, outlet, nominalW, ...MINER_RAMPS[firmware], demand: 1, ...(device ? { device } : {}) };
}

export const minerFleet: Scenario = {
  name: 'miner-fleet',
  description: 'one 80 A PDU, 11 miners: stock Antminer, Braiins OS, LuxOS, Whatsminer v2/v3, VNish (some with quirks, one hung)',
  pdus: [
    { id: 'pdu-m', model: 'rackpilot-sim-pdu', unit: 1, phases: 3, outlets: 24, voltage: 230, frequencyHz: 50, sourceOhms: 0.03, breakerA: 80 },
  ],
  loads: [
    minerLoad('lux-01', 1, 'luxos', 3250, { model: 'luxos', hardware: 'antminer-s19pro' }),
    minerLoad('lux-02', 2, 'luxos', 3250, { model: 'luxos', hardware: 'antminer-s19pro', atm: true }),
    minerLoad('bos-01', 3, 'braiins', 2760, { model: 'braiins-os', hardware: 'antminer-s19kpro' }),
    minerLoad('bos-02', 4, 'braiins', 2760, { model: 'braiins-os', hardware: 'antminer-s19kpro' }),
    minerLoad('ant-01', 5, 'antminer', 3250, { model: 'antminer-stock', hardware: 'antminer-s19pro' }),
    minerLoad('ant-02', 6, 'antminer', 1323, { model: 'antminer-stock', hardware: 'antminer-s9', quirks: ['stats-missing-comma', 'array-leading-comma'] }),
    minerLoad('wm2-01', 7, 'whatsminer', 3276, { model: 'whatsminer-v2', hardware: 'whatsminer-m50s', password: 'rackpilot-wm' }),
    minerLoad('wm2-02', 8, 'whatsminer', 3276, { model: 'whatsminer-v2', hardware: 'whatsminer-m50s', password: 'rackpilot-wm', quirks: ['trailing-comma', 'newline-in-string', 'nan-values', 'error-code-list'] }),
    minerLoad('wm3-01', 9, 'whatsminer', 3422, { model: 'whatsminer-v3', hardware: 'whatsminer-m60s', password: 'rackpilot-v3' }),
    minerLoad('vn-01', 10, 'vnish', 3250, { model: 'vnish', hardware: 'antminer-s19pro' }),
    minerLoad('hung-01', 11, 'antminer', 3250, { model: 'antminer-stock', hardware: 'antminer-s19pro', quirks: ['hang'] }),
  ],
  timeline: [],
};
