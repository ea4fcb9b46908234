// rackpilot diag modbus read (--host H:PORT | --serial DEV --baud B [--parity N|E|O]) --unit N --profile NAME|FILE [--json]
import { expandProfile, planFor, type ConcretePoint } from '../../drivers/pdu/expand.js';
import { loadProfile } from '../../drivers/pdu/load-profile.js';
import { runPlan, type PointOutcome } from '../../drivers/pdu/read.js';
import { BUILTIN_PROFILES } from '../../drivers/pdu/profiles/index.js';
import { systemClock } from '../../runtime/clock.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { TARGET_FLAGS, lineLabel, openTarget, style, targetSpec, timeoutOf, unitOf, type Style } from '../modbus-target.js';

function pointName(p: ConcretePoint): string {
  return p.channel ? `${p.quantity}/${p.channel}` : p.quantity;
}

function show(p: ConcretePoint, o: PointOutcome | undefined): string {
  if (!o?.ok) return '—';
  if (typeof o.value === 'string') return JSON.stringify(o.value);
  return p.kind === 'info' || p.precision >= 0 ? String(Math.round(o.value)) : o.value.toFixed(-p.precision);
}

function table(points: readonly ConcretePoint[], results: ReadonlyMap<number, PointOutcome>, s: Style): string {
  const rows = points.map((p) => {
    const o = results.get(p.id);
    const where = `${p.table} ${p.documented === p.address ? `0x${p.address.toString(16).padStart(4, '0')}` : `${p.documented} (wire ${p.address})`}`;
    return { name: pointName(p), value: show(p, o), unit: p.unit === '1' ? '' : p.unit, where, error: o && !o.ok ? o.detail : undefined };
  });
  const w = (k: 'name' | 'value' | 'unit') => Math.max(k.length, ...rows.map((r) => r[k].length));
  const [wn, wv, wu] = [w('name'), w('value'), w('unit')];
  const head = s.dim(`  ${'point'.padEnd(wn)}  ${'value'.padStart(wv)}  ${'unit'.padEnd(wu)}  register`);
  return [head, ...rows.map((r) => {
    const value = r.error ? s.bad(r.value.padStart(wv)) : s.ok(r.value.padStart(wv));
    return `  ${r.name.padEnd(wn)}  ${value}  ${r.unit.padEnd(wu)}  ${s.dim(r.where)}${r.error ? `  ${s.bad(r.error)}` : ''}`;
  })].join('\n');
}

export const diagModbusReadCommand: Command = {
  spec: {
    name: 'diag modbus read',
    summary: 'read every point of a device profile, decoded, with units',
    usage: 'rackpilot diag modbus read (--host H:PORT | --serial DEV --baud B [--parity N|E|O]) --unit N --profile NAME|FILE [--json]',
    flags: {
      ...TARGET_FLAGS,
      profile: { type: 'string', value: 'NAME|FILE', help: `built-in profile (${[...BUILTIN_PROFILES.keys()].join(', ')}) or a YAML profile file` },
      outlets: { type: 'number', value: 'N', help: 'outlet count, for PDU profiles whose count depends on the model' },
      json: { type: 'boolean', help: 'print one JSON object: point → {value, unit} (value null when unknown)' },
    },
    details: 'Reads every point of the profile (identity points too) in the profile\'s planned requests.\nExit 0 when at least one request was answered, 1 when none was.',
  },
  async run(flags, _p, io) {
    const ref = flags['profile'];
    if (typeof ref !== 'string') throw new UsageError('--profile NAME|FILE is required');
    const spec = targetSpec(flags);
    const loaded = await loadProfile(ref, process.cwd());
    if (!loaded.ok) throw new UsageError(`--profile: ${loaded.reason}`);
    const p = loaded.profile;
    if (p.outlets.count === undefined && p.outlets.max > 0 && flags['outlets'] === undefined) throw new UsageError(`profile ${p.name} needs --outlets N (the PDU's outlet count, up to ${p.outlets.max})`);
    let expanded;
    try {
      expanded = expandProfile(p, flags['outlets'] as number | undefined);
    } catch (err) {
      throw new UsageError(`--outlets: ${(err as Error).message}`);
    }
    const unit = unitOf(flags, p.defaultUnit);
    const target = openTarget(spec, timeoutOf(flags, 1000), { pauseAfterConnectMs: p.workarounds.pauseAfterConnectMs });
    const plan = planFor(expanded, 'all');
    const t0 = performance.now();
    let r;
    try {
      r = await runPlan(target.client(unit), plan, expanded.points, { pauseMs: p.workarounds.pauseBetweenRequestsMs, clock: systemClock });
    } finally {
      await target.close();
    }
    const ms = Math.round(performance.now() - t0);
    if (flags['json'] === true) {
      const out: Record<string, { value: number | string | null; unit: string }> = {};
      for (const pt of expanded.points) {
        const o = r.points.get(pt.id);
        out[pointName(pt)] = { value: o?.ok ? o.value : null, unit: pt.unit };
      }
      io.out.write(JSON.stringify(out) + '\n');
      for (const pt of expanded.points) {
        const o = r.points.get(pt.id);
        if (o && !o.ok) io.err.write(`${pointName(pt)}: ${o.detail}\n`);
      }
    } else {
      const s = style(io.out.isTTY);
      io.out.write(`${s.bold(p.name)} at ${lineLabel(spec)} unit ${unit} — ${plan.length} requests, ${r.failed} failed, ${ms} ms\n${table(expanded.points, r.points, s)}\n`);
    }
    if (r.failed === plan.length) {
      io.err.write(`no request was answered${r.error ? `: ${r.error}` : ''}\n`);
      return EXIT_FAILURE;
    }
    return EXIT_OK;
  },
};
