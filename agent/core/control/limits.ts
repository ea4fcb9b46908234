// The rack budget in force at a moment: the tightest of the local cap, an unexpired hub lease,
// grid events (approached linearly before their deadline) and the stale-grid-signal policy.
// Local limits always win: a lease or grid target can lower the budget, never raise it above
// the local cap, and circuits are never relaxed by anything from the hub.

import type { ControlEvent, ControlParams, GridEvent, Limits } from './types.js';

export interface Budget {
  /** W; null = no rack-level limit (circuits still apply). */
  readonly watts: number | null;
  /** Why: "local cap", "lease L1", "grid E7", "grid signal stale". */
  readonly source: string;
}

export interface BudgetResult {
  readonly budget: Budget;
  readonly gridRamps: ReadonlyMap<string, { readonly fromW: number; readonly startMs: number }>;
  readonly gridStale: boolean;
  readonly events: readonly ControlEvent[];
}

interface Prev {
  readonly budget: Budget;
  readonly gridRamps: ReadonlyMap<string, { readonly fromW: number; readonly startMs: number }>;
  readonly gridStale: boolean;
}

/** The grid event's budget at `now`, W, or null when it does not constrain yet (or any more). */
function gridBudget(e: GridEvent, ramp: { fromW: number; startMs: number } | undefined, now: number): number | null {
  if (now >= e.endMs) return null;
  const target = e.targetKw * 1000;
  if (now >= e.deadlineMs || !ramp) return now >= e.deadlineMs ? target : null;
  if (ramp.fromW <= target || e.deadlineMs <= ramp.startMs) return target;
  const left = (e.deadlineMs - now) / (e.deadlineMs - ramp.startMs);
  return target + (ramp.fromW - target) * Math.max(0, Math.min(1, left));
}

export function rackBudget(prev: Prev, limits: Limits, params: ControlParams, rackW: number | null, now: number): BudgetResult {
  const candidates: Budget[] = [];
  if (limits.rackKw !== null) candidates.push({ watts: limits.rackKw * 1000, source: 'local cap' });
  const lease = limits.lease;
  if (lease && lease.expiresAtMs > now) candidates.push({ watts: lease.kw * 1000, source: `lease ${lease.id}` });

  const gridRamps = new Map<string, { fromW: number; startMs: number }>();
  for (const e of limits.gridEvents) {
    if (now >= e.endMs) continue;
    let ramp = prev.gridRamps.get(e.id);
    if (!ramp && now >= e.deadlineMs - params.grid.rampMs) {
      // The ramp starts from what the rack draws now (or from the budget in force when unknown).
      ramp = { fromW: rackW ?? prev.budget.watts ?? e.targetKw * 1000, startMs: now };
    }
    if (ramp) gridRamps.set(e.id, ramp);
    const w = gridBudget(e, ramp, now);
    if (w !== null) candidates.push({ watts: w, source: `grid ${e.id}` });
  }
  const gridStale = params.grid.onStale === 'curtail' && now - limits.gridSignalAtMs > params.grid.staleAfterMs;
  if (gridStale) candidates.push({ watts: params.grid.curtailKw * 1000, source: 'grid signal stale' });

  let budget: Budget = { watts: null, source: 'circuits only' };
  for (const c of candidates) if (budget.watts === null || (c.watts as number) < budget.watts) budget = c;
  return { budget, gridRamps, gridStale, events: budgetEvents(prev, budget, gridStale, limits, now) };
}

function budgetEvents(prev: Prev, budget: Budget, gridStale: boolean, limits: Limits, now: number): ControlEvent[] {
  const events: ControlEvent[] = [];
  if (gridStale !== prev.gridStale) {
    const age = Math.round((now - limits.gridSignalAtMs) / 1000);
    events.push(gridStale
      ? { timeMs: now, severity: 'warning', type: 'control.grid_stale', message: `no grid signal for ${age} s: curtailing as configured`, values: { signal_age_s: age } }
      : { timeMs: now, severity: 'info', type: 'control.grid_fresh', message: 'grid signal received again: stale-signal curtailment ends' });
  }
  // The first step says which budget applies, unless there is none (circuits are the only limit).
  const first = prev.budget.source === 'none yet';
  if (budget.source !== prev.budget.source && !(first && budget.watts === null)) {
    const kw = budget.watts === null ? 'none' : `${(budget.watts / 1000).toFixed(2)} kW`;
    const lease = limits.lease;
    const why = prev.budget.source.startsWith('lease') && lease && lease.expiresAtMs <= now ? ` (lease ${lease.id} expired)` : '';
    events.push({
      timeMs: now, severity: 'notice', type: 'control.limit',
      message: `rack budget ${kw} from ${budget.source}, was ${prev.budget.source}${why}`,
      values: budget.watts === null ? {} : { budget_w: budget.watts },
      attrs: { source: budget.source, previous: prev.budget.source },
    });
  }
  return events;
}
