// `rackpilot diag selftest`: every configured device through the agent's own drivers (same
// config, same transports, same families), then the checks across devices (wiring), then —
// only when asked and confirmed — the actuators. Returns rows for the table and the facts
// (identities) for the support report.
//
// While the agent runs: read-only checks go alongside it (one more Modbus/TCP master or miner
// API client is harmless), except devices on a serial port, which the agent holds exclusively:
// those are reported from the agent's own view. Actuators are never exercised while it runs
// (diag-selftest.ts refuses): its controller would fight the test.

import type { LoadedConfig } from '../../config/load.js';
import type { DeviceConfig } from '../../config/schema.js';
import { familyOf } from '../../drivers/families.js';
import type { DriverDeps } from '../../drivers/family.js';
import type { GpuHostDriver } from '../../drivers/gpu/driver.js';
import type { MinerDriver } from '../../drivers/miner/driver.js';
import type { ModbusPowerDevice } from '../../drivers/pdu/driver.js';
import type { ResolvedModbus } from '../../drivers/pdu/family.js';
import type { DeviceDriver } from '../../drivers/types.js';
import type { StatusSnapshot } from '../../local-api/status.js';
import { createDriverDeps } from '../../main.js';
import { mapBounded } from '../../runtime/bounded.js';
import { systemClock } from '../../runtime/clock.js';
import { nullLogger } from '../../runtime/log.js';
import { row, type CheckRow } from '../check-table.js';
import type { Progress } from '../progress.js';
import { actuatorPlan, exercise, type ActuatorTarget } from './actuators.js';
import { probeGpuHost } from './gpu.js';
import { probeHost } from './host.js';
import { probeMiner } from './miner.js';
import { probeModbus } from './modbus.js';
import type { DeviceFacts, DeviceResult } from './types.js';
import { wiringChecks } from './wiring.js';

export interface SelftestOptions {
  readonly loaded: LoadedConfig;
  /** The running agent's status, when it answers on its local API. */
  readonly agent?: StatusSnapshot;
  readonly actuators: boolean;
  readonly outlets: boolean;
  /** Asked with the plan before any actuator moves; false skips them. */
  readonly confirm: (plan: readonly string[]) => Promise<boolean>;
  readonly progress?: Progress;
  /** Devices probed at once (default 8). */
  readonly concurrency?: number;
}

export interface SelftestResult {
  readonly rows: readonly CheckRow[];
  readonly devices: readonly DeviceFacts[];
}

const CHECK_ORDER = ['reach', 'identity', 'credentials', 'readings', 'wiring', 'actuator'];
/** One device's whole probe may take this long (a hung miner costs its timeouts once). */
const DEVICE_DEADLINE_MS = 60_000;

export async function runSelftest(o: SelftestOptions): Promise<SelftestResult> {
  const deps = createDriverDeps(systemClock, nullLogger);
  const devices = o.loaded.config.devices;
  const drivers = new Map<string, DeviceDriver>();
  let done = 0;
  try {
    const results = await mapBounded(devices, o.concurrency ?? 8, async (d) => {
      o.progress?.update(`checking ${d.id} (${done + 1}/${devices.length})`);
      const r = await probeDevice(d, o, deps, drivers).catch((err: unknown): DeviceResult => ({
        rows: [row(d.id, 'reach', 'fail', `the check itself failed: ${(err as Error).message}`, 'run again; attach this output to a support ticket if it repeats')],
        facts: { id: d.id, kind: d.type, reached: false, identity: {} },
      }));
      done++;
      return withAgentView(d, r, o.agent);
    });
    const facts = results.map((r) => r.facts);
    const rows = [...results.flatMap((r) => r.rows), ...wiringChecks(facts)];
    if (o.actuators) rows.push(...await exerciseAll(o, devices, drivers, facts));
    const order = new Map(devices.map((d, i) => [d.id, i]));
    rows.sort((a, b) => (order.get(a.subject) ?? 0) - (order.get(b.subject) ?? 0) || CHECK_ORDER.indexOf(a.check) - CHECK_ORDER.indexOf(b.check));
    return { rows, devices: facts };
  } finally {
    // Closing a GPU host driver also puts back any limit a test left changed.
    await Promise.all([...drivers.values()].map((d) => d.close().catch(() => undefined)));
  }
}

async function probeDevice(d: DeviceConfig, o: SelftestOptions, deps: DriverDeps, drivers: Map<string, DeviceDriver>): Promise<DeviceResult> {
  if (o.agent && d.type === 'modbus' && d.transport.type === 'rtu') return heldByAgent(d, o.agent);
  const signal = AbortSignal.timeout(DEVICE_DEADLINE_MS);
  const resolved = o.loaded.resolved.get(d.id);
  if (d.type === 'gpu-host') {
    if (!deps.exec) throw new Error('no command runner');
    // The driver (for --actuators) is built here; the read-only probe runs nvidia-smi itself.
    drivers.set(d.id, familyOf(d).create(d, resolved, deps));
    return probeGpuHost(d, deps.exec, signal);
  }
  const driver = familyOf(d).create(d, resolved, deps);
  drivers.set(d.id, driver);
  switch (d.type) {
    case 'modbus':
      return probeModbus(d, resolved as ResolvedModbus, driver as ModbusPowerDevice, signal);
    case 'miner':
      return probeMiner(d, driver as MinerDriver, signal);
    case 'host':
      return probeHost(d.id, driver, signal);
  }
}

/** A serial device the running agent holds: what the agent itself sees of it. */
function heldByAgent(d: DeviceConfig & { type: 'modbus' }, agent: StatusSnapshot): DeviceResult {
  const seen = agent.devices.find((x) => x.id === d.id);
  const why = `serial port ${d.transport.type === 'rtu' ? d.transport.path : ''} is held by the running agent (opened exclusively)`;
  const facts: DeviceFacts = { id: d.id, kind: 'modbus', reached: false, identity: {} };
  if (!seen) return { rows: [row(d.id, 'reach', 'skip', `${why}; the agent does not report it`)], facts };
  const view = `the agent reads it: ${seen.health}, newest reading ${seen.lastReadingAgeMs === null ? 'never' : `${(seen.lastReadingAgeMs / 1000).toFixed(1)} s`} old, ${seen.ok}/${seen.series} values good`;
  if (seen.health === 'down') return { rows: [row(d.id, 'reach', 'fail', `${why}; ${view}: ${seen.problems[0]?.detail ?? ''}`, 'stop the agent (systemctl stop rackpilot) and run the selftest again to test this device directly')], facts };
  return { rows: [row(d.id, 'reach', 'skip', `${why}; ${view}`, 'stop the agent to test it directly')], facts };
}

/**
 * A device this probe could not reach that the running agent reads fine: a device that allows
 * one client only (some PDUs take a single Modbus/TCP master), not a broken device.
 */
function withAgentView(d: DeviceConfig, r: DeviceResult, agent: StatusSnapshot | undefined): DeviceResult {
  const seen = agent?.devices.find((x) => x.id === d.id);
  if (!seen || seen.health !== 'up' || r.facts.reached) return r;
  return { ...r, rows: r.rows.map((x) => (x.check === 'reach' && x.status === 'fail' ? row(x.subject, x.check, 'warn', `${x.detail}; but the running agent reads it fine: it probably accepts one client at a time`, 'stop the agent to test it directly') : x)) };
}

async function exerciseAll(o: SelftestOptions, devices: readonly DeviceConfig[], drivers: ReadonlyMap<string, DeviceDriver>, facts: readonly DeviceFacts[]): Promise<CheckRow[]> {
  const reached = new Map(facts.map((f) => [f.id, f]));
  const targets: ActuatorTarget[] = devices.flatMap((d): ActuatorTarget[] => {
    const driver = drivers.get(d.id);
    const f = reached.get(d.id);
    if (!driver || !f?.reached) return [];
    if (d.type === 'miner') return [{ kind: 'miner', cfg: d, driver: driver as MinerDriver }];
    if (d.type === 'gpu-host') return [{ kind: 'gpu', cfg: d, driver: driver as GpuHostDriver }];
    if (d.type === 'modbus' && d.outletSwitching && f.pdu) return [{ kind: 'outlets', id: d.id, driver: driver as ModbusPowerDevice, pdu: f.pdu }];
    return [];
  });
  if (!targets.length) return [];
  const plan = actuatorPlan(targets, o.outlets);
  if (plan.length && !(await o.confirm(plan))) return targets.map((t) => row(t.kind === 'outlets' ? t.id : t.cfg.id, 'actuator', 'skip', 'not exercised: not confirmed'));
  const rows: CheckRow[] = [];
  for (const [i, t] of targets.entries()) {
    o.progress?.update(`exercising ${t.kind === 'outlets' ? t.id : t.cfg.id} (${i + 1}/${targets.length})`);
    rows.push(await exercise(t, { outlets: o.outlets }));
  }
  return rows;
}
