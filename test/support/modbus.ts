// Agent-side Modbus devices for tests and benchmarks: the config `rackpilot sim --write-config`
// would write for a simulator's endpoints, resolved and built with the agent's real I/O.
import { configForSim } from '../../agent/cli/sim-config.js';
import { resolveConfig } from '../../agent/config/load.js';
import type { DeviceConfig } from '../../agent/config/schema.js';
import { familyOf } from '../../agent/drivers/families.js';
import type { ModbusPowerDevice } from '../../agent/drivers/pdu/driver.js';
import type { ResolvedModbus } from '../../agent/drivers/pdu/family.js';
import { createDriverDeps } from '../../agent/main.js';
import { systemClock, type Clock } from '../../agent/runtime/clock.js';
import { nullLogger } from '../../agent/runtime/log.js';
import type { SimEndpoint } from '../../hw-sim/run.js';

export interface TestDevices {
  readonly devices: ReadonlyMap<string, ModbusPowerDevice>;
  readonly configs: readonly DeviceConfig[];
  /** What the family resolved for each device (profile, expanded points…), by id. */
  readonly resolved: ReadonlyMap<string, ResolvedModbus>;
  close(): Promise<void>;
}

/** Builds the agent's drivers from device configs (the `devices:` of a rack.yaml). */
export async function devicesFromConfig(devices: readonly Record<string, unknown>[], opts: { clock?: Clock; baseDir?: string } = {}): Promise<TestDevices> {
  const raw = { agent: { id: 'test', site: 'test', rack: 'test' }, devices };
  const loaded = await resolveConfig(raw, '(test config)', opts.baseDir ?? process.cwd());
  const deps = createDriverDeps(opts.clock ?? systemClock, nullLogger);
  const built = new Map(loaded.config.devices.map((d) => [d.id, familyOf(d).create(d, loaded.resolved.get(d.id), deps) as ModbusPowerDevice]));
  return {
    devices: built,
    configs: loaded.config.devices,
    resolved: loaded.resolved as ReadonlyMap<string, ResolvedModbus>,
    close: async () => {
      await Promise.all([...built.values()].map((d) => d.close()));
    },
  };
}

/** The drivers for a simulator's endpoints; `patch` edits each device's config first. */
export function modbusDevices(
  endpoints: readonly SimEndpoint[],
  opts: { patch?: (d: Record<string, unknown>) => Record<string, unknown>; clock?: Clock } = {},
): Promise<TestDevices> {
  const raw = configForSim(endpoints, {}) as { devices: Record<string, unknown>[] };
  return devicesFromConfig(raw.devices.map((d) => opts.patch?.(d) ?? d), opts.clock ? { clock: opts.clock } : {});
}

export function valueOf(res: { samples: readonly { key: string; reading: { value: number | null } }[] }, key: string): number | null {
  const s = res.samples.find((x) => x.key === key);
  if (!s) throw new Error(`no sample ${key} (have ${res.samples.slice(0, 8).map((x) => x.key).join(', ')}…)`);
  return s.reading.value;
}
