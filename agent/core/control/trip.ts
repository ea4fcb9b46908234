// When to act on a constraint: the thresholds with hysteresis and the software trip curve.
//
// Circuits carry heat, an I²t integral of the excursion above the high threshold:
//   heat += (r² − high²) · dt   while r > high        (r = current / continuous limit)
//   heat ·= e^(−dt / coolS)     otherwise
// and the controller sheds when heat reaches toleranceS · (atRatio² − high²), so an excursion
// at atRatio is tolerated for toleranceS, a smaller one longer, a larger one shorter, and at
// instantRatio it sheds at once. Repeated brief spikes add up (the heat remembers them). Rack
// budgets (local cap, lease, grid) and blind estimates act as soon as they are above high. A
// circuit over high and rising fast enough to reach instantRatio within one more interval is
// urgent too.
//
// Hysteresis (Thunderbolt): once high was crossed the constraint is armed; nothing on it is
// restored until its value has stayed below low for a random hold, then it disarms.

import { describeView, type View } from './constraints.js';
import type { ConstraintState } from './types.js';
import { emit, randomBetween, type Work } from './work.js';

export interface Assessment {
  readonly view: View;
  /** value / limit */
  readonly ratio: number;
  /** Shed on it this step. */
  readonly acting: boolean;
  /** At or above the trip curve's instant ratio (or heading there): shed with extra margin. */
  readonly urgent: boolean;
  /** The value to shed down from: the reading, or where a fast rise is heading when only the rise made it urgent. */
  readonly projected: number;
}

export function tripBudget(w: Work): number {
  const { trip, thresholds } = w.params;
  return trip.toleranceS * Math.max(1e-6, trip.atRatio ** 2 - thresholds.high ** 2);
}

function nextHeat(w: Work, v: View, ratio: number, heat: number): number {
  if (v.kind !== 'circuit' || v.source === 'estimated') return heat;
  const high = w.params.thresholds.high;
  if (ratio > high) return heat + (ratio ** 2 - high ** 2) * w.dtS;
  return heat * Math.exp(-w.dtS / Math.max(1e-3, w.params.trip.coolS));
}

/**
 * Urgent when at or above the instant ratio, or over high and rising so fast that one more
 * interval would take it there (a surge caught mid-ramp: Thunderbolt's proactive notifier).
 */
function decide(w: Work, v: View, ratio: number, heat: number): { acting: boolean; urgent: boolean; projected: number } {
  const { high } = w.params.thresholds;
  const instant = w.params.trip.instantRatio;
  if (!(ratio > high)) return { acting: false, urgent: false, projected: v.value };
  if (v.kind !== 'circuit' || v.source === 'estimated') return { acting: true, urgent: false, projected: v.value };
  if (ratio >= instant) return { acting: true, urgent: true, projected: v.value };
  const heading = v.value + v.rise;
  if (heading / v.limit >= instant) return { acting: true, urgent: true, projected: heading };
  return { acting: heat >= tripBudget(w), urgent: false, projected: v.value };
}

/** Assesses every constraint and returns the constraints' next state (heat, arming, hold). */
export function assess(w: Work, views: readonly View[], states: Map<string, ConstraintState>): Assessment[] {
  const { high, low } = w.params.thresholds;
  const out: Assessment[] = [];
  for (const v of views) {
    let s = states.get(v.id) as ConstraintState;
    const ratio = v.value / v.limit;
    const heat = nextHeat(w, v, ratio, s.heat);
    const { acting, urgent, projected } = decide(w, v, ratio, heat);
    s = { ...s, heat };
    if (ratio > high && !acting && !s.tolerating && !s.armed) {
      emit(w, {
        severity: 'notice', type: 'control.tolerated', device: v.id,
        message: `${describeView(v)} above high ${pct(high)}: tolerated by the trip curve (${pct(heat / tripBudget(w))} of its budget)`,
        values: { value: v.value, limit: v.limit, ratio, heat },
      });
    }
    s = { ...s, tolerating: ratio > high && !acting };
    if (acting) {
      s = { ...s, armed: true, belowLowSinceMs: null, holdMs: s.armed ? s.holdMs : randomBetween(w, w.params.restore.minDelayMs, w.params.restore.maxDelayMs) };
    } else if (s.armed) {
      s = disarm(w, v, ratio, s, low);
    }
    if (!(ratio > high)) s = { ...s, exhausted: false };
    states.set(v.id, s);
    out.push({ view: v, ratio, acting, urgent, projected });
  }
  return out;
}

function disarm(w: Work, v: View, ratio: number, s: ConstraintState, low: number): ConstraintState {
  if (ratio >= low || v.source !== 'measured') return { ...s, belowLowSinceMs: null };
  const since = s.belowLowSinceMs ?? w.now;
  if (w.now - since < s.holdMs) return { ...s, belowLowSinceMs: since };
  emit(w, {
    severity: 'info', type: 'control.hold_over', device: v.id,
    message: `${describeView(v)} stayed below low ${pct(low)} for ${((w.now - since) / 1000).toFixed(1)} s: restores may begin`,
    values: { value: v.value, limit: v.limit, hold_ms: s.holdMs },
  });
  return { ...s, armed: false, belowLowSinceMs: null };
}

export function pct(x: number): string {
  return `${Math.round(x * 100)} %`;
}
