// Property tests of the power-cap controller: the pure controller against the pure physics over
// randomised scenarios (seeded: a failure prints its seed and shrunk case, and re-runs the same).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runBed } from '../support/control-bed.js';
import { InvariantChecker } from '../support/control-invariants.js';
import { randomCase, type RandomCase } from '../support/control-scenarios.js';

function check(c: RandomCase): void {
  const outage = c.bed.hubOutageS ?? [Infinity, Infinity];
  const grid = (c.bed.grid ?? []).filter((g) => !(g.atS >= outage[0] && g.atS < outage[1]))
    .map((g) => ({ atS: g.atS, kw: g.targetKw, deadlineS: g.atS + g.inS, endS: g.atS + g.inS + g.forS }));
  let specs: ConstructorParameters<typeof InvariantChecker>[0] = [];
  let checker: InvariantChecker | undefined;
  const r = runBed({
    ...c.bed,
    onStep: (st) => {
      if (!checker) {
        specs = [...st.state.spec.loads];
        checker = new InvariantChecker(specs, c.steady, grid);
      }
      checker.onStep(st);
    },
  });
  const v = checker!.v;
  const what = `${c.description} (seed ${c.bed.seed})`;
  expect(r.sim.trips, `breaker trips: ${what}`).toEqual([]);
  expect(v.priority, `AI throttled while a miner was above its floor: ${what}`).toEqual([]);
  expect(v.oscillation, `sheds in the steady state: ${what}`).toEqual([]);
  expect(v.limits, `lease or grid target not held: ${what}`).toEqual([]);
}

describe('controller invariants over random scenarios', () => {
  it('no breaker trip; AI never throttled while a miner is above its floor; no oscillation in steady state; leases and grid targets held until they expire', () => {
    fc.assert(fc.property(randomCase(), (c) => check(c)), { seed: 20240611, numRuns: 60, endOnFailure: true });
  });
});
