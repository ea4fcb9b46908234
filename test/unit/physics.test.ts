import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildRack } from '../../hw-sim/physics/build.js';
import { pduReadings } from '../../hw-sim/physics/readings.js';
import { JITTER, step } from '../../hw-sim/physics/step.js';
import type { RackPhysics } from '../../hw-sim/physics/types.js';
import { demo } from '../../hw-sim/scenarios/demo.js';
import type { Scenario } from '../../hw-sim/scenarios/types.js';
import { Simulation } from '../../hw-sim/simulation.js';

const one: Scenario = {
  name: 'one', description: 'one miner, one GPU server',
  pdus: [{ id: 'p', model: 'rackpilot-sim-pdu', unit: 1, phases: 3, outlets: 4, voltage: 230, frequencyHz: 50, sourceOhms: 0, breakerA: 32 }],
  loads: [
    { id: 'm', family: 'miner', pdu: 'p', outlet: 1, nominalW: 3000, idleW: 20, pf: 1, tauUpS: 2, tauDownS: 1 },
    { id: 'g', family: 'gpu-server', pdu: 'p', outlet: 2, nominalW: 5000, idleW: 1000, pf: 1, demand: 0, tauUpS: 0.5, tauDownS: 0.5 },
  ],
  timeline: [],
};

function run(r: RackPhysics, seconds: number, dt = 0.1): RackPhysics {
  for (let t = 0; t < seconds - 1e-9; t += dt) r = step(r, dt);
  return r;
}

const power = (r: RackPhysics, id: string): number => r.loads.find((l) => l.spec.id === id)!.powerW;
const setLoad = (r: RackPhysics, id: string, set: { demand?: number; limitW?: number | null }): RackPhysics => ({
  ...r, loads: r.loads.map((l) => (l.spec.id === id ? { ...l, ...set } : l)),
});

describe('physics', () => {
  it('starts loads at their steady draw', () => {
    const r = buildRack(one);
    expect(power(r, 'm')).toBe(3000);
    expect(power(r, 'g')).toBe(1000);
  });

  it('follows a step with a first-order lag: 63 % after one time constant', () => {
    let r = setLoad(buildRack(one), 'g', { demand: 1 });
    r = run(r, 0.5, 0.01);
    const frac = (power(r, 'g') - 1000) / 4000;
    expect(frac).toBeGreaterThan(0.632 - 0.02);
    expect(frac).toBeLessThan(0.632 + 0.02);
    r = run(r, 5);
    expect(Math.abs(power(r, 'g') / 5000 - 1)).toBeLessThan(JITTER);
  });

  it('a power limit caps the draw; a paused miner falls to idle; an open relay to zero', () => {
    let r = setLoad(buildRack(one), 'm', { limitW: 1500 });
    r = run(r, 10);
    expect(Math.abs(power(r, 'm') / 1500 - 1)).toBeLessThan(JITTER);
    r = run(setLoad(r, 'm', { demand: 0 }), 10);
    expect(Math.abs(power(r, 'm') / 20 - 1)).toBeLessThan(JITTER);
    r = { ...r, pdus: r.pdus.map((p) => ({ ...p, relays: p.relays.map((_, i) => i !== 0) })) };
    r = run(r, 10);
    expect(power(r, 'm')).toBeLessThan(0.01);
  });

  it('integrates energy: 3 kW for one hour is 3 kWh, on the outlet, its phase and the inlet', () => {
    let r = buildRack({ ...one, loads: [one.loads[0]!] });
    r = run(r, 3600, 1);
    const pr = pduReadings(r, 'p');
    expect(Math.abs(pr.outlets[0]!.energyWh / 3000 - 1)).toBeLessThan(0.001);
    expect(pr.phases[0]!.energyWh).toBeCloseTo(pr.outlets[0]!.energyWh, 6);
    expect(pr.inlet.energyWh).toBeCloseTo(pr.outlets[0]!.energyWh, 6);
  });

  it('readings add up: phase current is the sum of its outlets, inlet power the sum of phases', () => {
    const r = run(buildRack(demo), 30);
    const pr = pduReadings(r, 'pdu-a');
    for (let ph = 1; ph <= 3; ph++) {
      const sum = pr.outlets.filter((o) => o.phase === ph).reduce((a, o) => a + o.currentA, 0);
      expect(pr.phases[ph - 1]!.currentA).toBeCloseTo(sum, 6);
    }
    expect(pr.inlet.powerW).toBeCloseTo(pr.phases.reduce((a, p) => a + p.powerW, 0), 6);
    expect(pr.phases[0]!.voltageV).toBeLessThan(230); // sag under load
  });

  it('is pure: the same state and step give the same result', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.double({ min: 0.001, max: 2, noNaN: true }), (seed, dt) => {
      const r = buildRack(demo, seed);
      expect(step(r, dt)).toEqual(step(r, dt));
    }), { seed: 1, numRuns: 50 });
  });

  it('jitter stays within its bound and never makes power negative', () => {
    let r = buildRack(one, 99);
    for (let i = 0; i < 1000; i++) {
      r = step(r, 0.1);
      expect(power(r, 'm')).toBeGreaterThan(3000 * (1 - JITTER * 1.01));
      expect(power(r, 'm')).toBeLessThan(3000 * (1 + JITTER * 1.01));
    }
  });
});

describe('Simulation timeline', () => {
  it('applies repeating events at their times', () => {
    const sim = new Simulation(demo, { stepMs: 100 });
    expect(sim.load('gpu-01')!.demand).toBe(0.1);
    sim.advance(5.05);
    expect(sim.load('gpu-01')!.demand).toBe(0.95);
    sim.advance(35);
    expect(sim.load('gpu-01')!.demand).toBe(0.1);
    sim.advance(25);
    expect(sim.load('gpu-01')!.demand).toBe(0.95);
  });
});
