// The working context of one controller step and the per-load facts the policy is built on:
// what a load will draw once its commands settle, what is still in flight, whether it is at its
// floor. step() copies the state into a Work, the policy modules change the copy, and step()
// freezes it into the next state: the caller's state is never mutated.

import type { ActionType, ControlAction, ControlEvent, ControlParams, LoadSpec, LoadState } from './types.js';

export interface Work {
  readonly specs: ReadonlyMap<string, LoadSpec>;
  readonly params: ControlParams;
  readonly now: number;
  /** Seconds since the previous step (0 on the first). */
  readonly dtS: number;
  readonly loads: Map<string, LoadState>;
  /** At most one action per load per step; a later decision replaces an earlier one. */
  readonly actions: Map<string, ControlAction>;
  readonly events: ControlEvent[];
  rng: number;
}

/** mulberry32: a small seeded generator, so restore jitter is random yet reproducible. */
export function random(w: Work): number {
  const s = (w.rng + 0x6d2b79f5) >>> 0;
  w.rng = s;
  let t = Math.imul(s ^ (s >>> 15), s | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

export function randomBetween(w: Work, lo: number, hi: number): number {
  return lo + (hi - lo) * random(w);
}

export function load(w: Work, id: string): LoadState {
  const l = w.loads.get(id);
  if (!l) throw new Error(`controller: no state for load ${id}`);
  return l;
}

export function spec(w: Work, id: string): LoadSpec {
  const s = w.specs.get(id);
  if (!s) throw new Error(`controller: no spec for load ${id}`);
  return s;
}

/** The lowest draw the load's own controls can reach (or 0 by its outlet). */
export function floorOf(s: LoadSpec): number {
  if (s.controls.pause) return s.floorW;
  if (s.controls.setPower) return Math.max(s.floorW, s.controls.setPower.minW);
  return s.controls.outlet ? 0 : Infinity;
}

/** Worst-case draw when nothing better is known: nameplate, else the remembered peak. */
export function worstCaseW(s: LoadSpec, l: LoadState): number {
  if (s.nominalW !== null) return s.nominalW;
  return l.peakW > 0 ? l.peakW : Infinity;
}

/** The draw to plan with: what the load will draw once its commands have settled. */
export function expectW(s: LoadSpec, l: LoadState): number {
  const draw = l.drawW;
  const trusted = l.mode === 'off' ? !l.outletFailed : !l.unresponsive;
  if (l.mode === 'free' || !trusted || l.setpointW === null) return draw ?? worstCaseW(s, l);
  return draw === null ? l.setpointW : Math.min(draw, l.setpointW);
}

const DECREASE: ReadonlySet<ActionType> = new Set(['set_power', 'pause', 'outlet_off']);

function pendingKind(w: Work, l: LoadState): 'down' | 'up' | null {
  if (!l.pending || w.now >= l.pending.checkAtMs) return null;
  if (!DECREASE.has(l.pending.type)) return 'up';
  return l.pending.type !== 'set_power' || (l.pending.fromW ?? Infinity) > (l.setpointW ?? 0) ? 'down' : 'up';
}

/** Reduction commanded but not yet visible in the readings, W. */
export function pendingDropW(w: Work, s: LoadSpec, l: LoadState): number {
  if (pendingKind(w, l) !== 'down' || l.drawW === null) return 0;
  return Math.max(0, l.drawW - expectW(s, l));
}

/** Increase commanded but not yet visible in the readings, W (planned at the new ceiling). */
export function pendingRiseW(w: Work, s: LoadSpec, l: LoadState): number {
  if (pendingKind(w, l) !== 'up') return 0;
  const ceiling = l.mode === 'free' ? worstCaseW(s, l) : (l.setpointW ?? worstCaseW(s, l));
  return Math.max(0, ceiling - (l.drawW ?? 0));
}

/** A decrease is still in flight (its settle time has not passed). */
export function settling(w: Work, l: LoadState): boolean {
  return pendingKind(w, l) === 'down';
}

/**
 * At its floor for the purpose of "AI is throttled only when miners are at their floor": told to
 * go to its floor (and not still on its way), drawing no more than its floor anyway, or beyond
 * the agent's reach (no controls, or it ignores them and its outlet cannot be switched).
 */
export function atFloor(w: Work, s: LoadSpec, l: LoadState): boolean {
  if (settling(w, l)) return false;
  if (l.unresponsive || l.outletFailed) return !s.controls.outlet || l.outletFailed || l.mode === 'off';
  if (l.mode === 'off' || l.mode === 'paused') return true;
  const f = floorOf(s);
  if (!Number.isFinite(f)) return true;
  const { toleranceFrac, toleranceW } = w.params.verify;
  if (l.drawW !== null && l.drawW <= f * (1 + toleranceFrac) + toleranceW) return true;
  return l.setpointW !== null && l.setpointW <= f + 1;
}

export function emit(w: Work, e: Omit<ControlEvent, 'timeMs'>): void {
  w.events.push({ timeMs: w.now, ...e });
}

export function kw(watts: number): string {
  return `${(watts / 1000).toFixed(2)} kW`;
}
