// Randomised scenarios for the controller's property tests and the control bench: one
// three-phase PDU, miners and GPU servers with random sizes and classes, oversubscribed so the
// AI can push phases well past their limits, a random AI workload, and optionally a hub lease,
// a grid event, a hub outage, PDU telemetry loss and a miner that ignores commands. The last
// `steadyS` seconds have no changes of any kind (the steady-state window).

import fc from 'fast-check';
import type { LoadClass } from '../../agent/core/control/types.js';
import type { Scenario, TimelineEvent } from '../../hw-sim/scenarios/types.js';
import type { BedOptions } from './control-bed.js';

export interface RandomCase {
  readonly bed: Omit<BedOptions, 'params' | 'onStep'>;
  /** Steady-state window: [start, end] s, nothing changes in it. */
  readonly steady: readonly [number, number];
  readonly description: string;
}

const gpuStep = fc.record({ atS: fc.integer({ min: 5, max: 150 }), demand: fc.oneof(fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })), gpu: fc.nat() });

/** Phase of the i-th outlet (0-based) on a three-phase PDU whose outlets alternate L1, L2, L3. */
const phaseOfOutlet = (i: number): number => i % 3;

export const randomCase = (steadyS = 120): fc.Arbitrary<RandomCase> => fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  breakerA: fc.constantFrom(16, 20, 32, 40),
  miners: fc.array(fc.record({ frac: fc.double({ min: 0.15, max: 0.5, noNaN: true }), prio: fc.integer({ min: -2, max: 2 }) }), { minLength: 3, maxLength: 12 }),
  gpus: fc.array(fc.record({ frac: fc.double({ min: 0.5, max: 1.6, noNaN: true }), flexible: fc.boolean(), demand: fc.double({ min: 0, max: 0.2, noNaN: true }) }), { minLength: 1, maxLength: 4 }),
  steps: fc.array(gpuStep, { maxLength: 8 }),
  lease: fc.option(fc.record({ atS: fc.integer({ min: 10, max: 100 }), frac: fc.double({ min: 0.3, max: 0.9, noNaN: true }), ttlS: fc.integer({ min: 20, max: 80 }) })),
  grid: fc.option(fc.record({ atS: fc.integer({ min: 10, max: 90 }), frac: fc.double({ min: 0.2, max: 0.8, noNaN: true }), inS: fc.integer({ min: 0, max: 40 }), forS: fc.integer({ min: 20, max: 60 }) })),
  outage: fc.option(fc.record({ atS: fc.integer({ min: 5, max: 120 }), forS: fc.integer({ min: 5, max: 60 }) })),
  telemetryLoss: fc.option(fc.record({ atS: fc.integer({ min: 5, max: 140 }), forS: fc.integer({ min: 2, max: 30 }) })),
  deafMiner: fc.boolean(),
  fill: fc.double({ min: 0.75, max: 0.95, noNaN: true }),
}).map((r): RandomCase => {
  // Sizes are fractions of a phase's continuous limit. Miners (and idle AI) fill each phase to at
  // most `fill`: the rack starts plausible. GPU servers at full load can push a phase to ~3× its
  // limit (an uncontrolled rack trips), while the AI floors always fit (the controller can win).
  const contW = 0.8 * r.breakerA * 230;
  const idle = 0.2;
  const gpuFloor = idle + 0.3 * (1 - idle);
  const n = r.miners.length;
  const gpuOn = [0, 0, 0];
  r.gpus.forEach((g, i) => (gpuOn[phaseOfOutlet(n + i)] = (gpuOn[phaseOfOutlet(n + i)] ?? 0) + g.frac));
  const gpuScale = gpuOn.map((f) => Math.min(1, 0.8 / Math.max(1e-9, f * gpuFloor)));
  const gpuW = r.gpus.map((g, i) => g.frac * (gpuScale[phaseOfOutlet(n + i)] ?? 1) * contW);
  const phaseStart = [0, 0, 0];
  r.miners.forEach((m, i) => (phaseStart[phaseOfOutlet(i)] = (phaseStart[phaseOfOutlet(i)] ?? 0) + m.frac * contW));
  gpuW.forEach((w, i) => (phaseStart[phaseOfOutlet(n + i)] = (phaseStart[phaseOfOutlet(n + i)] ?? 0) + w * (idle + r.gpus[i]!.demand * (1 - idle))));
  const minerScale = phaseStart.map((w) => Math.min(1, (r.fill * contW) / Math.max(1, w)));
  const miners = r.miners.map((m, i) => ({ id: `miner-${i + 1}`, family: 'miner', pdu: 'pdu-a', outlet: i + 1, nominalW: Math.round(m.frac * (minerScale[phaseOfOutlet(i)] ?? 1) * contW), idleW: 25, demand: 1 }));
  const gpus = r.gpus.map((g, i) => ({ id: `gpu-${i + 1}`, family: 'gpu-server', pdu: 'pdu-a', outlet: n + i + 1, nominalW: Math.round(gpuW[i]!), idleW: Math.round(gpuW[i]! * idle), demand: g.demand }));
  const classes: Record<string, LoadClass> = Object.fromEntries(r.gpus.map((g, i) => [`gpu-${i + 1}`, g.flexible ? 'ai-flexible' : 'ai-critical']));
  const breakerA = r.breakerA;
  const minerW = miners.reduce((a, m) => a + m.nominalW, 0);
  const timeline: TimelineEvent[] = r.steps.map((s) => ({ atS: s.atS, loads: `gpu-${(s.gpu % gpus.length) + 1}`, set: { demand: s.demand } }));
  if (r.telemetryLoss) timeline.push({ atS: r.telemetryLoss.atS, fault: 'telemetry_loss', target: 'pdu-a', forS: r.telemetryLoss.forS });
  if (r.deafMiner) timeline.push({ atS: 0, fault: 'ignore_commands', target: 'miner-1' });
  const scenario: Scenario = {
    name: 'random', description: 'randomised', timeline,
    pdus: [{ id: 'pdu-a', model: 'rackpilot-sim-pdu', unit: 1, phases: 3, outlets: n + gpus.length, voltage: 230, frequencyHz: 50, sourceOhms: 0.05, breakerA }],
    loads: [...miners, ...gpus],
  };
  const totalKw = (minerW + gpus.reduce((a, g) => a + g.nominalW, 0)) / 1000;
  const leases = r.lease ? [{ atS: r.lease.atS, kw: totalKw * r.lease.frac, ttlS: r.lease.ttlS }] : [];
  const grid = r.grid ? [{ atS: r.grid.atS, targetKw: totalKw * r.grid.frac, inS: r.grid.inS, forS: r.grid.forS }] : [];
  const hubOutageS = r.outage ? ([r.outage.atS, r.outage.atS + r.outage.forS] as const) : undefined;
  const lastChange = Math.max(0, ...timeline.map((e) => e.atS + ('forS' in e && e.forS !== undefined ? e.forS : 0)),
    ...leases.map((l) => l.atS + l.ttlS), ...grid.map((g) => g.atS + g.inS + g.forS), ...(hubOutageS ? [hubOutageS[1]] : []));
  // Settling after the last change: restores pace out over batches and ramps.
  const settleS = 150;
  const durationS = lastChange + settleS + steadyS;
  return {
    bed: { scenario, durationS, seed: r.seed, classes, leases, grid, ...(hubOutageS ? { hubOutageS } : {}) },
    steady: [durationS - steadyS, durationS],
    description: `${miners.length} miners, ${gpus.length} GPU servers, ${breakerA} A; ${r.steps.length} AI steps${r.lease ? ', lease' : ''}${r.grid ? ', grid event' : ''}${r.outage ? ', hub outage' : ''}${r.telemetryLoss ? ', telemetry loss' : ''}${r.deafMiner ? ', deaf miner' : ''}`,
  };
});
