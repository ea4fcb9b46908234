// A simulated rack of miners and agent-side drivers for them, built the way the agent builds
// them: hw-sim's endpoints → agent config (agent/cli/sim-config.ts) → validated config → the
// `miner` family with real sockets and HTTP (agent/main.ts createDriverDeps).
import { configForSim } from '../../agent/cli/sim-config.js';
import { resolveConfig } from '../../agent/config/load.js';
import { familyOf } from '../../agent/drivers/families.js';
import type { MinerDriver } from '../../agent/drivers/miner/driver.js';
import { createDriverDeps } from '../../agent/main.js';
import { systemClock } from '../../agent/runtime/clock.js';
import { nullLogger } from '../../agent/runtime/log.js';
import { MINER_RAMPS } from '../../hw-sim/physics/loads/miner.js';
import { startSimulator, type RunningSim } from '../../hw-sim/run.js';
import type { Scenario, ScenarioLoad } from '../../hw-sim/scenarios/types.js';

export interface SimMinerSpec {
  readonly id: string;
  readonly model: string;
  readonly ramp: keyof typeof MINER_RAMPS;
  readonly nominalW?: number;
  readonly params?: Readonly<Record<string, unknown>>;
}

export interface MinerRack {
  readonly sim: RunningSim;
  readonly drivers: ReadonlyMap<string, MinerDriver>;
  driver(id: string): MinerDriver;
  stop(): Promise<void>;
}

export function minerScenario(specs: readonly SimMinerSpec[]): Scenario {
  const loads: ScenarioLoad[] = specs.map((m, i) => ({
    id: m.id, family: 'miner', pdu: 'pdu', outlet: i + 1, nominalW: m.nominalW ?? 3250, demand: 1, ...MINER_RAMPS[m.ramp],
    device: { model: m.model, restartS: 2, tuneS: 1, ...m.params },
  }));
  return {
    name: 'miners-test', description: 'test miners',
    pdus: [{ id: 'pdu', model: 'rackpilot-sim-pdu', unit: 1, phases: 3, outlets: Math.max(3, specs.length), voltage: 230, frequencyHz: 50, sourceOhms: 0, breakerA: 125 }],
    loads, timeline: [],
  };
}

/**
 * Starts the simulator (stepped by hand: the test owns simulated time) and builds one driver per
 * miner. `overrides` patch the generated device config (timeouts, credentials…) by device id.
 */
export async function startMinerRack(specs: readonly SimMinerSpec[], overrides: Readonly<Record<string, Record<string, unknown>>> = {}): Promise<MinerRack> {
  const sim = await startSimulator(minerScenario(specs), { basePort: 0, manual: true });
  const raw = configForSim(sim.endpoints.filter((e) => e.kind === 'miner'), { metricsListen: '127.0.0.1:0' }) as { devices: Record<string, unknown>[] };
  raw.devices = raw.devices.map((d) => ({ timeoutMs: 2000, connectTimeoutMs: 2000, ...d, ...overrides[String(d['id'])] }));
  const loaded = await resolveConfig(raw, 'miner-test config', process.cwd());
  const deps = createDriverDeps(systemClock, nullLogger);
  const drivers = new Map(loaded.config.devices.map((d) => [d.id, familyOf(d).create(d, loaded.resolved.get(d.id), deps) as MinerDriver]));
  return {
    sim,
    drivers,
    driver(id) {
      const d = drivers.get(id);
      if (!d) throw new Error(`no miner ${id}`);
      return d;
    },
    stop: () => sim.stop(),
  };
}

/** The value of one series in a poll result (undefined when absent or not ok). */
export function valueOf(samples: readonly { key: string; reading: { value: number | null; quality: string } }[], key: string): number | undefined {
  const s = samples.find((x) => x.key === key);
  return s && s.reading.quality === 'ok' ? (s.reading.value ?? undefined) : undefined;
}

export const pollSignal = (): AbortSignal => AbortSignal.timeout(20_000);
