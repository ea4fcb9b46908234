// An ASIC miner: draws its nominal power while hashing (demand 1), its idle power when paused
// (demand 0), and follows a power target (limitW) when one is set, never below idle. Ramps are
// slow-ish: hashboards step frequency over seconds (LuxOS: full power in < 10 s).
import type { LoadFamily } from './index.js';

export const miner: LoadFamily = {
  name: 'miner',
  defaults: { nominalW: 3250, idleW: 25, pf: 0.99, tauUpS: 3, tauDownS: 1.5 },
  targetW(l) {
    const full = l.limitW === null ? l.spec.nominalW : Math.min(l.spec.nominalW, Math.max(l.spec.idleW, l.limitW));
    return l.spec.idleW + l.demand * (full - l.spec.idleW);
  },
};
