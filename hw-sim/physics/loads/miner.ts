// An ASIC miner: draws its nominal power while hashing (demand 1), its idle power when paused
// (demand 0), and follows a power target (limitW) when one is set, never below idle. Hashrate is
// proportional to the draw above idle; chip temperature lags the draw (minutes, heat sinks).
// Ramp times differ by firmware (MINER_RAMPS): LuxOS sleeps to ~25 W in < 5 s and is back in
// < 10 s (shared/reference/power-capping.md §6.1); BOS pause ramps down in ~3 s.
import type { LoadSpec, LoadState } from '../types.js';
import type { LoadFamily } from './index.js';

export const miner: LoadFamily = {
  name: 'miner',
  defaults: { nominalW: 3250, idleW: 25, pf: 0.99, tauUpS: 3, tauDownS: 1.5 },
  targetW(l) {
    const full = l.limitW === null ? l.spec.nominalW : Math.min(l.spec.nominalW, Math.max(l.spec.idleW, l.limitW));
    return l.spec.idleW + l.demand * (full - l.spec.idleW);
  },
  thermal: { riseC: 50, tauS: 90 },
};

/** First-order time constants (s) of a miner's draw by firmware: up (resume, wake) and down. */
export const MINER_RAMPS: Readonly<Record<string, Pick<LoadSpec, 'tauUpS' | 'tauDownS'>>> = {
  luxos: { tauUpS: 3, tauDownS: 1.2 },
  braiins: { tauUpS: 6, tauDownS: 1 },
  antminer: { tauUpS: 10, tauDownS: 3 },
  whatsminer: { tauUpS: 8, tauDownS: 2 },
  vnish: { tauUpS: 8, tauDownS: 3 },
};

/** Hashrate at the current draw: nominal TH/s × the share of the draw above idle. */
export function minerHashrateTHs(l: LoadState, nominalTHs: number): number {
  const span = l.spec.nominalW - l.spec.idleW;
  if (span <= 0) return 0;
  return nominalTHs * Math.max(0, Math.min(1.05, (l.powerW - l.spec.idleW) / span));
}
