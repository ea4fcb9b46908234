// Exercising the actuators the controller will rely on, gently, and putting each back:
//   - a miner with a watt target: 5 % lower, read back, back to what it was, read back;
//   - a GPU server: each GPU's power limit 5 % lower, read back, restored, read back (this is
//     where a server that refuses `nvidia-smi -pl` shows up);
//   - PDU outlets: only with --outlets, and only outlets that are on and carry almost nothing.
//     Switching an outlet cuts its load at once: a miner's hashboards lose power mid-work, a GPU
//     server crashes its job and its disks. That is the controller's last resort, not a test.
// Never run while the agent runs: its controller drives the same actuators and would fight the
// test (diag-selftest.ts refuses).

import { seriesKey } from '../../core/series.js';
import type { GpuHostDeviceConfig } from '../../drivers/gpu/config.js';
import type { GpuHostDriver } from '../../drivers/gpu/driver.js';
import type { MinerDeviceConfig } from '../../drivers/miner/config.js';
import type { MinerDriver } from '../../drivers/miner/driver.js';
import type { ModbusPowerDevice } from '../../drivers/pdu/driver.js';
import type { ActuationResult, PowerActuator } from '../../drivers/types.js';
import { row, type CheckRow } from '../check-table.js';
import { readOnce } from './host.js';
import { credentialSource } from './miner.js';
import type { PduFacts } from './types.js';

export type ActuatorTarget =
  | { readonly kind: 'miner'; readonly cfg: MinerDeviceConfig; readonly driver: MinerDriver }
  | { readonly kind: 'gpu'; readonly cfg: GpuHostDeviceConfig; readonly driver: GpuHostDriver }
  | { readonly kind: 'outlets'; readonly id: string; readonly driver: ModbusPowerDevice; readonly pdu: PduFacts };

/** How much lower the test sets a target or limit. */
const STEP = 0.05;
/** An outlet drawing less than this counts as idle (safe to switch off and on with --outlets). */
const IDLE_OUTLET_W = 50;
const CHECK = 'actuator';

/** One line per target of what --actuators will do, for the confirmation. */
export function actuatorPlan(targets: readonly ActuatorTarget[], outlets: boolean): string[] {
  return targets.flatMap((t) => {
    if (t.kind === 'miner') return [`${t.cfg.id}: power target ${Math.round(STEP * 100)} % lower, then back (firmwares without a watt target are left alone)`];
    if (t.kind === 'gpu') return [`${t.cfg.id}: each GPU's power limit ${Math.round(STEP * 100)} % lower, then back`];
    return outlets ? [`${t.id}: switch off and on again the outlets that are on and draw under ${IDLE_OUTLET_W} W`] : [];
  });
}

export async function exercise(t: ActuatorTarget, o: { outlets: boolean }): Promise<CheckRow> {
  switch (t.kind) {
    case 'miner':
      return exerciseMiner(t.cfg, t.driver);
    case 'gpu':
      return exerciseGpu(t.cfg, t.driver);
    case 'outlets':
      return exerciseOutlets(t.id, t.driver, t.pdu, o.outlets);
  }
}

function signalFor(a: PowerActuator, cmd: 'set_power' | 'outlet_on'): AbortSignal {
  return AbortSignal.timeout((a.settleByCommand?.[cmd] ?? a.settleMs) + 30_000);
}

async function exerciseMiner(cfg: MinerDeviceConfig, driver: MinerDriver): Promise<CheckRow> {
  const a = driver.actuators()[0];
  const d = driver.last?.data;
  const fw = driver.firmware?.module.label ?? 'its firmware';
  if (!a || !d) return row(cfg.id, CHECK, 'skip', 'not reached');
  if (driver.last?.failures.some((f) => f.error.code === 'miner_auth')) return row(cfg.id, CHECK, 'skip', `${fw} refused the login (see credentials): nothing can be set until the password is right`, credentialSource(cfg));
  const range = a.capabilities.setPower;
  if (!range) {
    return row(cfg.id, CHECK, 'skip', `${fw} has no watt target; pausing restarts hashing (up to minutes without it), so it is not a gentle test`, `test it by hand when the miner may stop: rackpilot diag miner set --host ${cfg.host} --pause, then --resume`);
  }
  const was = d.powerTargetW;
  if (was === null) return row(cfg.id, CHECK, 'skip', `${fw} reports no power target to return to`);
  const lower = Math.max(range.minW, Math.round(was * (1 - STEP)));
  if (lower >= was) return row(cfg.id, CHECK, 'skip', `already at its lowest target (${was} W)`);
  const down = await a.apply({ type: 'set_power', watts: lower }, signalFor(a, 'set_power'));
  if (!down.ok) return minerFailure(cfg, `power target ${was} → ${lower} W failed: ${down.detail}`);
  const back = await a.apply({ type: 'set_power', watts: was }, signalFor(a, 'set_power'));
  if (!back.ok) return row(cfg.id, CHECK, 'fail', `lowered to ${lower} W, but putting back ${was} W failed: ${back.detail}`, `set it back by hand: rackpilot diag miner set --host ${cfg.host} --power ${was}`);
  const verified = down.verified && back.verified;
  return row(cfg.id, CHECK, verified ? 'pass' : 'warn', `power target ${was} W → ${lower} W → ${was} W, ${verified ? 'each read back' : 'not confirmed by read-back within the settle time'}`,
    verified ? undefined : 'watch miner.power_target in diag status for a minute');
}

function minerFailure(cfg: MinerDeviceConfig, detail: string): CheckRow {
  const auth = /password|credential|401|token refused|could not decrypt/i.test(detail);
  return row(cfg.id, CHECK, 'fail', detail, auth ? credentialSource(cfg) : 'see rackpilot diag miner set --host ' + cfg.host);
}

async function exerciseGpu(cfg: GpuHostDeviceConfig, driver: GpuHostDriver): Promise<CheckRow> {
  const r = await readOnce(driver, AbortSignal.timeout(cfg.timeoutMs + 5000));
  if (r.failed && r.error) return row(cfg.id, CHECK, 'skip', `not read: ${r.error}`);
  const value = (q: string, slot: number): number | null => r.samples.find((s) => s.key === seriesKey(cfg.id, q, String(slot)))?.reading.value ?? null;
  const done: string[] = [];
  for (const [slot, a] of driver.actuators().entries()) {
    const limit = value('gpu.power.limit', slot);
    const min = value('gpu.power.min_limit', slot);
    if (limit === null || min === null) continue;
    const lower = Math.max(min, Math.round(limit * (1 - STEP)));
    if (lower >= limit) continue;
    const down = await a.apply({ type: 'set_power', watts: lower }, signalFor(a, 'set_power'));
    if (!down.ok) {
      await a.apply({ type: 'restore' }, signalFor(a, 'set_power'));
      return row(cfg.id, CHECK, 'fail', down.detail.replace(/; -pl needs root.*$/, ''), gpuFix(cfg, down));
    }
    const back = await a.apply({ type: 'restore' }, signalFor(a, 'set_power'));
    if (!back.ok || !back.verified) return row(cfg.id, CHECK, 'fail', `GPU ${slot}: lowered to ${lower} W, but the restore to ${limit} W did not read back: ${back.detail}`, `set it by hand on the server: nvidia-smi -i ${slot} -pl ${limit}`);
    done.push(`${limit}→${lower}→${limit}`);
  }
  if (!done.length) return row(cfg.id, CHECK, 'skip', 'no GPU with a limit above its minimum to lower');
  const same = done.every((x) => x === done[0]);
  return row(cfg.id, CHECK, 'pass', `${done.length} GPU power limits set and put back, each read back (${same ? `${done[0]} W` : done.join(', ')})`);
}

/** nvidia-smi -pl needs root: the fix depends on how the set path is elevated (docs/gpu.md, "Privilege"). */
function gpuFix(cfg: GpuHostDeviceConfig, r: ActuationResult): string {
  const rule = 'rackpilot ALL=(root) NOPASSWD: /usr/bin/nvidia-smi -i * -pl *';
  if (/password is required|terminal is required|askpass/i.test(r.detail)) return `sudo wants a password: add the sudoers rule on the server (visudo -f /etc/sudoers.d/rackpilot): ${rule}`;
  if (/Insufficient Permissions|exit 4\b|needs root/i.test(r.detail)) {
    return cfg.setPrefix.length
      ? `setPrefix (${cfg.setPrefix.join(' ')}) ran nvidia-smi without root: check the sudoers rule on the server: ${rule} (docs/gpu.md)`
      : `-pl needs root: add setPrefix: [sudo, -n] to ${cfg.id}, and on the server the sudoers rule ${rule} (docs/gpu.md, "Privilege")`;
  }
  return 'see rackpilot diag gpu and docs/gpu.md';
}

async function exerciseOutlets(id: string, driver: ModbusPowerDevice, pdu: PduFacts, allowed: boolean): Promise<CheckRow> {
  const acts = driver.actuators() as readonly (PowerActuator & { outlet?: number })[];
  if (!allowed) {
    return row(id, CHECK, 'skip', `${acts.length} switched outlets not switched: switching an outlet cuts its load at once (a miner's boards lose power mid-work, a GPU server crashes its job)`, 'add --outlets to switch only the idle ones (on, under 50 W) off and on');
  }
  const idle = acts.filter((a) => a.outlet !== undefined && pdu.outletOn.get(a.outlet) === true && (pdu.outletW.get(a.outlet) ?? Infinity) < IDLE_OUTLET_W);
  const tested: number[] = [];
  for (const a of idle) {
    const off = await a.apply({ type: 'outlet_off' }, signalFor(a, 'outlet_on'));
    const on = await a.apply({ type: 'outlet_on' }, signalFor(a, 'outlet_on'));
    if (!off.ok || !off.verified || !on.ok || !on.verified) {
      return row(id, CHECK, 'fail', `outlet ${a.outlet ?? '?'}: off: ${off.detail}; on: ${on.detail}`, 'check outletControl in the profile against the PDU\'s manual (diag modbus raw --fc 1), and that its relays are not locked in the PDU\'s settings');
    }
    tested.push(a.outlet ?? 0);
  }
  const loaded = acts.length - idle.length;
  if (!tested.length) return row(id, CHECK, 'skip', `no idle outlet to switch (${loaded} are off or carry load: not switched)`);
  return row(id, CHECK, 'pass', `outlets ${tested.join(', ')} switched off and on, each read back; ${loaded} off or carrying load left alone`);
}
