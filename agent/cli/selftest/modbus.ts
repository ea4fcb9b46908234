// Self-test of a PDU or meter: every point of its profile read once through the agent's own
// driver and line (identity registers included), then: does it answer, is it the device the
// config says (identity registers against the config), are its readings physically plausible.

import { Q } from '../../core/series.js';
import type { ModbusDeviceConfig } from '../../drivers/pdu/config.js';
import type { ModbusPowerDevice } from '../../drivers/pdu/driver.js';
import { planFor, type ConcretePoint } from '../../drivers/pdu/expand.js';
import type { ResolvedModbus } from '../../drivers/pdu/family.js';
import { runPlan, type PlanOutcome } from '../../drivers/pdu/read.js';
import { ModbusError } from '../../drivers/modbus/errors.js';
import { systemClock } from '../../runtime/clock.js';
import { row, type CheckRow, type CheckStatus } from '../check-table.js';
import { lineLabel } from '../modbus-target.js';
import { lineSpecOf } from '../../drivers/pdu/family.js';
import type { DeviceResult } from './types.js';

type Values = ReadonlyMap<string, number | string>;

const key = (p: ConcretePoint): string => (p.channel ? `${p.quantity}/${p.channel}` : p.quantity);

export async function probeModbus(cfg: ModbusDeviceConfig, r: ResolvedModbus, driver: ModbusPowerDevice, signal: AbortSignal): Promise<DeviceResult> {
  // Identity registers in requests of their own, so that a device whose measurement blocks are
  // elsewhere still shows what it is; then the poll plan, as the agent reads it.
  const infos = { ...r.expanded, points: r.expanded.points.filter((p) => p.kind === 'info') };
  const run = (plan: ReturnType<typeof planFor>): Promise<PlanOutcome> => runPlan(driver.client, plan, r.expanded.points, { signal, pauseMs: r.workarounds.pauseBetweenRequestsMs, clock: systemClock });
  const idPlan = planFor(infos, 'all');
  const pollPlan = planFor(r.expanded, 'poll');
  const ids = await run(idPlan);
  const polled = await run(pollPlan);
  const values = new Map<string, number | string>();
  for (const p of r.expanded.points) {
    const o = ids.points.get(p.id) ?? polled.points.get(p.id);
    if (o?.ok) values.set(key(p), o.value);
  }
  const where = `${lineLabel(lineSpecOf(cfg.transport))} unit ${r.unit}`;
  const all = { requests: idPlan.length + pollPlan.length, failed: ids.failed + polled.failed, error: ids.error ?? polled.error, answered: answeredAny(ids) || answeredAny(polled) };
  const identity: Record<string, string | number | null> = { profile: r.profile.name, address: where };
  for (const [k, v] of values) if (k.startsWith('info.')) identity[k] = v;
  const rows: CheckRow[] = [reachRow(cfg, all, where)];
  if (all.answered) rows.push(identityRow(cfg, r, values, ids), readingsRow(cfg, r, values, polled));
  const outletW = new Map<number, number | null>();
  const outletOn = new Map<number, boolean | null>();
  for (let n = 1; n <= r.expanded.outlets; n++) {
    const w = values.get(`${Q.outletPower}/${n}`);
    const on = values.get(`${Q.outletState}/${n}`);
    outletW.set(n, typeof w === 'number' ? w : null);
    outletOn.set(n, typeof on === 'number' ? on !== 0 : null);
  }
  const reached = all.answered;
  return { rows, facts: { id: cfg.id, kind: r.profile.kind, reached, identity, ...(r.profile.kind === 'pdu' && reached ? { pdu: { outletW, outletOn } } : {}) } };
}

/** The device said something: a value, or an exception reply (it is there, it refused the read). */
function answeredAny(o: PlanOutcome): boolean {
  return [...o.points.values()].some((p) => p.ok || (p.error instanceof ModbusError && p.error.code === 'modbus_exception'));
}

function reachRow(cfg: ModbusDeviceConfig, out: { requests: number; failed: number; error: string | undefined; answered: boolean }, where: string): CheckRow {
  if (out.failed === 0) return row(cfg.id, 'reach', 'pass', `${where}: ${out.requests} requests answered`);
  if (out.answered) return row(cfg.id, 'reach', 'pass', `${where}: answers; ${out.failed} of ${out.requests} reads refused or failed (${out.error ?? ''})`);
  const t = cfg.transport;
  const fix = t.type === 'rtu'
    ? `check the RS-485 wiring (A/B, termination), the unit id and the line format ${t.baud} ${t.parity}: rackpilot diag modbus scan --serial ${t.path} --baud ${t.baud} --parity ${t.parity[0]?.toUpperCase() ?? 'N'}`
    : `check the device's address and that Modbus/TCP is enabled on it (port ${t.port}), and the unit id: rackpilot diag modbus scan --host ${t.host}:${t.port}${t.type === 'rtu-over-tcp' ? ' --rtu' : ''}`;
  return row(cfg.id, 'reach', 'fail', `${where}: no answer (${out.error ?? 'no reply'})`, fix);
}

/**
 * Identity registers against what the config says: outlet and phase counts, breaker rating, map
 * version. A mismatch means another device answers at this address, or the profile is wrong.
 */
function identityRow(cfg: ModbusDeviceConfig, r: ResolvedModbus, v: Values, out: PlanOutcome): CheckRow {
  const found: string[] = [];
  const wrong: { what: string; fix: string; status: CheckStatus }[] = [];
  const num = (k: string): number | undefined => (typeof v.get(k) === 'number' ? (v.get(k) as number) : undefined);
  const mapVersion = num('info.map_version');
  if (mapVersion !== undefined) {
    found.push(`map version ${mapVersion}`);
    // The wrong map: its other "identity" registers mean something else, so they are not compared.
    if (r.profile.name === 'rackpilot-sim-pdu' && mapVersion !== 1) {
      return row(cfg.id, 'identity', 'fail', `register 0 holds ${mapVersion}, not map version 1: this is not a ${r.profile.name}`, 'another device answers at this address, or the profile is wrong: see what it is with diag modbus raw --fc 3 --addr 0 --count 8');
    }
  }
  const outlets = num('info.outlets') ?? num('info.outputs');
  if (outlets !== undefined) {
    found.push(`${outlets} outlets`);
    if (cfg.outlets !== undefined && outlets !== cfg.outlets) wrong.push({ status: 'fail', what: `it reports ${outlets} outlets but the config says outlets: ${cfg.outlets}`, fix: 'another PDU answers at this address (swapped addresses?), or correct outlets' });
  }
  const phases = num('info.phases');
  if (phases !== undefined) {
    found.push(`${phases} phases`);
    if (r.profile.phases !== undefined && phases !== r.profile.phases) wrong.push({ status: 'fail', what: `it reports ${phases} phase${phases === 1 ? '' : 's'}; profile ${r.profile.name} is for ${r.profile.phases}`, fix: 'use the profile for this model' });
  }
  const breaker = num('info.breaker');
  if (breaker !== undefined) {
    found.push(`${breaker} A breakers`);
    const cfgA = cfg.circuits?.breakerA;
    if (cfgA !== undefined && cfgA > breaker) wrong.push({ status: 'fail', what: `it has ${breaker} A breakers but circuits.breakerA is ${cfgA}: the controller would let the phases run past what the breakers carry`, fix: `set circuits.breakerA: ${breaker}` });
    else if (cfgA !== undefined && cfgA < breaker) wrong.push({ status: 'warn', what: `it has ${breaker} A breakers; circuits.breakerA is ${cfgA} (stricter than needed)`, fix: `set circuits.breakerA: ${breaker} if the upstream circuit allows it` });
  }
  for (const k of ['info.model', 'info.name', 'info.version', 'info.serial']) if (v.has(k)) found.push(`${k.slice(5)} ${String(v.get(k))}`);
  // Identity registers the device does not have (exception 02) are a profile that does not fit.
  const infos = r.expanded.points.filter((p) => p.kind === 'info');
  const missing = infos.filter((p) => !v.has(key(p)));
  if (missing.length && missing.length === infos.length && /exception 2\b|illegal data address/i.test(out.error ?? '')) {
    wrong.push({ status: 'fail', what: `it has none of ${r.profile.name}'s identity registers (${out.error ?? ''})`, fix: 'the profile does not fit this device: check the model, or the addressing (diag modbus raw)' });
  }
  const worst = wrong.find((w) => w.status === 'fail') ?? wrong[0];
  if (worst) return row(cfg.id, 'identity', worst.status, wrong.map((w) => w.what).join('; '), worst.fix);
  if (!infos.length) return row(cfg.id, 'identity', 'skip', `profile ${r.profile.name} maps no identity registers: checked by its readings only`);
  return row(cfg.id, 'identity', 'pass', `${r.profile.name}: ${found.join(', ') || 'identity registers read'}`);
}

/** Physics a real PDU or meter cannot violate; the usual cause is a wrong profile or word order. */
function readingsRow(cfg: ModbusDeviceConfig, r: ResolvedModbus, v: Values, polled: PlanOutcome): CheckRow {
  if (polled.failed && ![...polled.points.values()].some((p) => p.ok)) return row(cfg.id, 'readings', 'fail', `no reading could be read (${polled.error ?? ''})`, `the profile ${r.profile.name} does not fit this device: compare diag modbus read --profile ${r.profile.name} with its manual`);
  const problems: string[] = [];
  const warnings: string[] = [];
  const seen: string[] = [];
  for (const [k, val] of v) {
    if (typeof val !== 'number') continue;
    const [q, ch] = k.split('/');
    const what = `${q}${ch ? ` ${ch}` : ''}`;
    if (!Number.isFinite(val)) problems.push(`${what} is not a number`);
    else if (q === Q.phaseVoltage && val < 1) problems.push(`${what} reads 0 V: that phase is not fed (upstream breaker off or tripped?)`);
    else if (q === Q.phaseVoltage && (val < 90 || val > 290)) problems.push(`${what} reads ${val.toFixed(1)} V`);
    else if (q === Q.frequency && (val < 45 || val > 65)) problems.push(`${what} reads ${val.toFixed(2)} Hz`);
    else if (q?.endsWith('.pf') && Math.abs(val) > 1.01) problems.push(`${what} reads ${val.toFixed(3)}`);
    else if ((q?.endsWith('.power') || q?.endsWith('.current')) && val < -50) warnings.push(`${what} reads ${val.toFixed(0)} (negative: a current transformer fitted the wrong way round?)`);
    else if (q === Q.phaseCurrent && cfg.circuits && val > (cfg.circuits.phases?.[ch ?? ''] ?? cfg.circuits.breakerA)) warnings.push(`${what} reads ${val.toFixed(1)} A, above its breaker`);
  }
  const volts = v.get(`${Q.phaseVoltage}/L1`);
  const hz = v.get(Q.frequency);
  const inlet = v.get(Q.inletPower);
  if (typeof volts === 'number') seen.push(`${volts.toFixed(1)} V`);
  if (typeof hz === 'number') seen.push(`${hz.toFixed(2)} Hz`);
  if (typeof inlet === 'number') seen.push(`${(inlet / 1000).toFixed(2)} kW`);
  const outletSum = outletTotal(v, r.expanded.outlets);
  if (typeof inlet === 'number' && outletSum !== undefined && Math.abs(inlet - outletSum) > Math.max(200, inlet * 0.1)) {
    warnings.push(`the outlets add up to ${(outletSum / 1000).toFixed(2)} kW but the inlet reads ${(inlet / 1000).toFixed(2)} kW`);
  }
  if (problems.length) return row(cfg.id, 'readings', 'fail', `implausible: ${problems.join('; ')}`, `if the phase is fed, the profile or its word order does not fit this device: compare diag modbus read --profile ${r.profile.name} with the device's display`);
  if (warnings.length) return row(cfg.id, 'readings', 'warn', warnings.join('; '), 'check the meter wiring against the display of the device');
  return row(cfg.id, 'readings', 'pass', `plausible: ${seen.join(', ') || `${v.size} values`}`);
}

/** Sum of every outlet's power, when every outlet was read. */
function outletTotal(v: Values, outlets: number): number | undefined {
  if (!outlets) return undefined;
  let sum = 0;
  for (let n = 1; n <= outlets; n++) {
    const w = v.get(`${Q.outletPower}/${n}`);
    if (typeof w !== 'number') return undefined;
    sum += w;
  }
  return sum;
}
