// hw-sim's phase breakers (pure physics) and the Simulation's fault timeline.
import { describe, expect, it } from 'vitest';
import { DEFAULT_CURVE, switchRelay, thermalTripS, tripsBetween } from '../../hw-sim/physics/breaker.js';
import { buildRack } from '../../hw-sim/physics/build.js';
import { pduReadings } from '../../hw-sim/physics/readings.js';
import { step } from '../../hw-sim/physics/step.js';
import type { RackPhysics } from '../../hw-sim/physics/types.js';
import type { Scenario } from '../../hw-sim/scenarios/types.js';
import { Simulation } from '../../hw-sim/simulation.js';

// 16 A breaker; one resistive load on L1 whose demand sets the overload.
const rack = (ratio: number): Scenario => ({
  name: 'b', description: 'breaker', timeline: [],
  pdus: [{ id: 'p', model: 'rackpilot-sim-pdu', unit: 1, phases: 3, outlets: 12, voltage: 230, frequencyHz: 50, sourceOhms: 0, breakerA: 16 }],
  loads: [{ id: 'heater', family: 'gpu-server', pdu: 'p', outlet: 1, nominalW: ratio * 16 * 230, idleW: 0, pf: 1, demand: 0, tauUpS: 0.01, tauDownS: 0.01 }],
});

function run(r: RackPhysics, s: number, dt = 0.1): { r: RackPhysics; tripAt: number | null } {
  let tripAt: number | null = null;
  for (let t = 0; t < s - 1e-9; t += dt) {
    const next = step(r, dt);
    if (tripAt === null && tripsBetween(r, next).length) tripAt = next.t;
    r = next;
  }
  return { r, tripAt };
}

const on = (r: RackPhysics): RackPhysics => ({ ...r, loads: r.loads.map((l) => ({ ...l, demand: 1 })) });

describe('breaker trip curve', () => {
  it('matches the standards it is drawn from: no trip at 1.13×In, < 1 h at 1.45×, ≤ 2 min at 2×, 1–60 s at 2.55×', () => {
    expect(thermalTripS(DEFAULT_CURVE, 1.13)).toBe(Infinity);
    expect(thermalTripS(DEFAULT_CURVE, 1.45)).toBeLessThan(3600);
    expect(thermalTripS(DEFAULT_CURVE, 2)).toBeLessThanOrEqual(120);
    const t255 = thermalTripS(DEFAULT_CURVE, 2.55);
    expect(t255).toBeGreaterThanOrEqual(1);
    expect(t255).toBeLessThanOrEqual(60);
    // A warm breaker trips sooner than a cold one.
    expect(thermalTripS(DEFAULT_CURVE, 2, 0.64)).toBeLessThan(thermalTripS(DEFAULT_CURVE, 2, 0));
  });

  it('the physics trips a breaker held at 2×In when the curve says, cuts its phase, and leaves the others', () => {
    const expected = thermalTripS(DEFAULT_CURVE, 2, 0);
    const { r, tripAt } = run(on(buildRack(rack(2))), expected + 5);
    expect(tripAt).not.toBeNull();
    expect(Math.abs((tripAt as number) - expected)).toBeLessThan(0.5);
    const pdu = r.pdus[0]!;
    expect(pdu.breakers.map((b) => b.tripped)).toEqual([true, false, false]);
    expect(pdu.breakers[0]!.cause).toBe('thermal');
    expect(pduReadings(r, 'p').phases[0]!.currentA).toBe(0);
    expect(r.loads[0]!.powerW).toBe(0);
  });

  it('a brief excursion does not trip, and 110 % of the rating never does', () => {
    expect(run(on(buildRack(rack(2))), 10).tripAt).toBeNull();
    expect(run(on(buildRack(rack(1.1))), 600, 1).tripAt).toBeNull();
  });

  it('inrush: outlets switched on together on one phase trip it magnetically; spaced by the guard they do not', () => {
    const miners: Scenario = {
      name: 'm', description: 'inrush', timeline: [],
      pdus: [{ id: 'p', model: 'rackpilot-sim-pdu', unit: 1, phases: 3, outlets: 24, voltage: 230, frequencyHz: 50, sourceOhms: 0, breakerA: 32 }],
      // Outlets 1, 4, 7, … are all on L1; 60 A of inrush each against a 320 A magnetic threshold.
      loads: [1, 4, 7, 10, 13, 16].map((o) => ({ id: `m${o}`, family: 'miner', pdu: 'p', outlet: o, nominalW: 1000, inrushA: 60 })),
    };
    const allOff = (r: RackPhysics): RackPhysics => [1, 4, 7, 10, 13, 16].reduce((x, o) => switchRelay(x, 'p', o, false), r);
    let r = allOff(buildRack(miners));
    for (const o of [1, 4, 7, 10, 13, 16]) r = switchRelay(r, 'p', o, true, 5);
    expect(r.pdus[0]!.breakers[0]).toMatchObject({ tripped: true, cause: 'magnetic' });
    let g = allOff(buildRack(miners));
    [1, 4, 7, 10, 13, 16].forEach((o, i) => (g = switchRelay(g, 'p', o, true, 5 + i * 0.1)));
    expect(g.pdus[0]!.breakers[0]!.tripped).toBe(false);
  });
});

describe('Simulation faults and trips', () => {
  const s: Scenario = {
    ...rack(2),
    timeline: [
      { atS: 1, loads: 'heater', set: { demand: 1 } },
      { atS: 2, fault: 'telemetry_loss', target: 'p', forS: 3 },
      { atS: 0, fault: 'ignore_commands', target: 'heat*' },
    ],
  };

  it('applies faults from the timeline for their duration and records breaker trips', () => {
    const sim = new Simulation(s, { stepMs: 100 });
    expect(sim.faultActive('p', 'telemetry_loss')).toBe(false);
    sim.advance(2.5);
    expect(sim.faultActive('p', 'telemetry_loss')).toBe(true);
    sim.advance(3);
    expect(sim.faultActive('p', 'telemetry_loss')).toBe(false);
    // The load ignores commands: acknowledged, nothing changes, and the overload trips L1.
    expect(sim.command('heater', { limitW: 100 })).toBe(true);
    expect(sim.load('heater')!.limitW).toBeNull();
    sim.advance(thermalTripS(DEFAULT_CURVE, 2));
    expect(sim.trips).toEqual([expect.objectContaining({ pdu: 'p', phase: 1, cause: 'thermal' })]);
  });
});
