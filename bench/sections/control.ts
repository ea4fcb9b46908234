// control.*: the power-cap controller.
//   control.detect_to_command_ms_p99  the agent in-process on the full-rack scenario (4 simulated
//                                     PDUs over Modbus/TCP, 40 miners, 8 GPU servers): from the
//                                     moment a cycle's polls are in to the first actuator call
//   control.time_to_safe_s            ai-surge on the controller bed (realistic command latencies
//                                     and load lags): longest time any phase spends above its
//                                     continuous limit, worst of 40 runs with the surge at every
//                                     0.025 s offset against the 1 Hz poll (p50 alongside);
//                                     _from_detect_s counts from the first reading that shows it
//   control.breaker_trips, .priority_violations, .oscillations, .limit_violations
//                                     over 1000 random scenarios (test/support/control-scenarios.ts)
//   control.breaker_trips_uncontrolled  the same 1000 scenarios with nothing shed: how many would
//                                     trip a breaker without the controller (the invariant's weight)
//   control.restores_per_device_hour  breaker-near-limit: an hour around the limit
import fc from 'fast-check';
import { configForSim } from '../../agent/cli/sim-config.js';
import { resolveConfig } from '../../agent/config/load.js';
import { startAgent } from '../../agent/main.js';
import { nullLogger } from '../../agent/runtime/log.js';
import { startSimulator } from '../../hw-sim/run.js';
import { aiSurge } from '../../hw-sim/scenarios/ai-surge.js';
import { breakerNearLimit } from '../../hw-sim/scenarios/breaker-near-limit.js';
import { fullRack } from '../../hw-sim/scenarios/full-rack.js';
import { runBed } from '../../test/support/control-bed.js';
import { InvariantChecker } from '../../test/support/control-invariants.js';
import { randomCase, type RandomCase } from '../../test/support/control-scenarios.js';
import type { Section } from '../harness.js';
import { median, percentile, round } from '../harness.js';

const RANDOM_CASES = 1000;
const RANDOM_SEED = 424242;

async function detectToCommand(): Promise<number[]> {
  const sim = await startSimulator(fullRack, { basePort: 0 });
  try {
    const raw = configForSim(sim.endpoints, { metricsListen: '127.0.0.1:0', intervalMs: 250, scenario: fullRack });
    const agent = await startAgent(await resolveConfig({ ...raw, log: { level: 'error' } }, 'bench', '.'), { log: nullLogger, controlSeed: 1 });
    await new Promise((r) => setTimeout(r, 60_000));
    await agent.stop();
    return [...(agent.control?.runner.latencyMs() ?? [])];
  } finally {
    await sim.stop();
  }
}

/** Per run: the longest overload from its start, and from the first 1 Hz reading that shows it. */
function timeToSafe(): { fromCrossing: number[]; fromDetect: number[] } {
  const fromCrossing: number[] = [];
  const fromDetect: number[] = [];
  for (let i = 0; i < 40; i++) {
    const shift = i * 0.025;
    const scenario = { ...aiSurge, timeline: aiSurge.timeline.map((e) => ({ ...e, atS: e.atS + shift })) };
    const r = runBed({ scenario, durationS: 240, seed: i + 1 });
    fromCrossing.push(r.maxOverS);
    fromDetect.push(Math.max(0, ...r.overloads.map(([start, end]) => end - Math.ceil(start - 1e-9))));
  }
  return { fromCrossing, fromDetect };
}

function randomSuite(): Record<string, number> {
  const cases: RandomCase[] = fc.sample(randomCase(), { numRuns: RANDOM_CASES, seed: RANDOM_SEED });
  const totals = { trips: 0, priority: 0, oscillation: 0, limits: 0, uncontrolled: 0 };
  for (const c of cases) {
    const outage = c.bed.hubOutageS ?? [Infinity, Infinity];
    const grid = (c.bed.grid ?? []).filter((g) => !(g.atS >= outage[0] && g.atS < outage[1])).map((g) => ({ atS: g.atS, kw: g.targetKw, deadlineS: g.atS + g.inS, endS: g.atS + g.inS + g.forS }));
    let checker: InvariantChecker | undefined;
    const r = runBed({ ...c.bed, onStep: (st) => { checker ??= new InvariantChecker(st.state.spec.loads, c.steady, grid); checker.onStep(st); } });
    totals.trips += r.sim.trips.length;
    totals.priority += checker!.v.priority.length;
    totals.oscillation += checker!.v.oscillation.length;
    totals.limits += checker!.v.limits.length;
    // Nothing may be shed when every load is infrastructure: the rack as it would run uncontrolled.
    const classes = Object.fromEntries(c.bed.scenario.loads.map((l) => [l.id, 'infrastructure' as const]));
    totals.uncontrolled += runBed({ ...c.bed, classes }).sim.trips.length > 0 ? 1 : 0;
  }
  return {
    'control.breaker_trips': totals.trips,
    'control.priority_violations': totals.priority,
    'control.oscillations': totals.oscillation,
    'control.limit_violations': totals.limits,
    'control.breaker_trips_uncontrolled': totals.uncontrolled,
  };
}

function restoresPerDeviceHour(): number {
  const hours = (breakerNearLimit.durationS ?? 3600) / 3600;
  const r = runBed({ scenario: breakerNearLimit, durationS: hours * 3600 });
  return r.actions.filter((a) => a.urgency === 'restore').length / breakerNearLimit.loads.length / hours;
}

export const controlSection: Section = {
  name: 'control: power-cap controller',
  prefixes: ['control.'],
  targets: {
    'control.detect_to_command_ms_p99': { op: '<=', value: 50 },
    'control.time_to_safe_s': { op: '<=', value: 3 },
    'control.breaker_trips': { op: '==', value: 0 },
    'control.priority_violations': { op: '==', value: 0 },
    'control.oscillations': { op: '==', value: 0 },
    'control.limit_violations': { op: '==', value: 0 },
  },
  notes: {
    'control.detect_to_command_ms_p50': 'full rack, agent in-process',
    'control.time_to_safe_p50_s': 'ai-surge, 40 poll offsets',
    'control.time_to_safe_from_detect_s': 'from the first reading over',
    'control.breaker_trips_uncontrolled': `of ${RANDOM_CASES} scenarios, nothing shed`,
    'control.restores_per_device_hour': 'breaker-near-limit, 1 h',
    'control.random_scenarios': `seed ${RANDOM_SEED}`,
  },
  async run() {
    const lat = await detectToCommand();
    const safe = timeToSafe();
    return {
      'control.detect_to_command_ms_p99': round(percentile(lat, 99), 2),
      'control.detect_to_command_ms_p50': round(median(lat), 2),
      'control.detect_to_command_samples': lat.length,
      'control.time_to_safe_s': round(Math.max(...safe.fromCrossing), 2),
      'control.time_to_safe_p50_s': round(median(safe.fromCrossing), 2),
      'control.time_to_safe_from_detect_s': round(Math.max(...safe.fromDetect), 2),
      ...randomSuite(),
      'control.random_scenarios': RANDOM_CASES,
      'control.restores_per_device_hour': round(restoresPerDeviceHour(), 2),
    };
  },
};
