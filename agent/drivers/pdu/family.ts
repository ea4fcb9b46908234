// The `modbus` device family: PDUs and meters described by a profile, on a Modbus line shared
// with every other device at the same place (serial port, or TCP host:port).
import { silenceMs } from '../../../protocols/modbus/rtu-timing.js';
import type { Issue } from '../../config/shape.js';
import type { DeviceFamily } from '../family.js';
import { ModbusClient } from '../modbus/client.js';
import { lineKey, lineSettings, placeOf, type LineSpec, type LineTiming } from '../modbus/lines.js';
import type { ModbusDeviceConfig, ModbusTransportConfig } from './config.js';
import { ModbusPowerDevice } from './driver.js';
import { expandProfile, type ExpandedProfile } from './expand.js';
import { loadProfile } from './load-profile.js';
import type { OutletMap } from './outlets.js';
import { toWire, type Profile, type Workarounds } from './profile.js';

export interface ResolvedModbus {
  readonly profile: Profile;
  readonly expanded: ExpandedProfile;
  readonly workarounds: Workarounds;
  readonly unit: number;
  readonly outletMap: OutletMap | undefined;
}

export function lineSpecOf(t: ModbusTransportConfig): LineSpec {
  switch (t.type) {
    case 'tcp':
      return { type: 'tcp', host: t.host, port: t.port, maxInFlight: t.maxInFlight, tid: t.tid };
    case 'rtu-over-tcp':
      return { type: 'rtu-over-tcp', host: t.host, port: t.port, gapMs: t.interFrameGapMs };
    case 'rtu': {
      const format = { baud: t.baud, parity: t.parity, dataBits: t.dataBits, stopBits: t.stopBits };
      return { type: 'rtu', path: t.path, format, gapMs: t.interFrameGapMs ?? silenceMs(format) };
    }
  }
}

export function lineTimingOf(d: ModbusDeviceConfig, w: Workarounds): LineTiming {
  return { connectTimeoutMs: d.connectTimeoutMs, reconnectDelayMs: d.reconnectDelayMs, pauseAfterConnectMs: w.pauseAfterConnectMs };
}

/** Wire addresses of the profile's outlet relays (undefined when it maps none). */
export function outletMapOf(p: Profile): OutletMap | undefined {
  const oc = p.outletControl;
  if (!oc) return undefined;
  const wire = (table: 'coil' | 'holding' | 'input' | 'discrete', a: number): number => toWire(p.addressing, table, a) as number; // checked by checkProfile
  const table: 'coil' | 'holding' = oc.write === 'coil' ? 'coil' : 'holding';
  const address = wire(table, oc.address);
  const rb = oc.readback ? { table: oc.readback.table, address: wire(oc.readback.table, oc.readback.address), stride: oc.readback.stride } : { table, address, stride: oc.stride };
  return { write: oc.write, address, stride: oc.stride, onValue: oc.onValue, offValue: oc.offValue, readback: rb };
}

function deviceChecks(d: ModbusDeviceConfig, p: Profile, path: string): Issue[] {
  const issues: Issue[] = [];
  const t = d.transport;
  if (!p.transports.includes(t.type)) issues.push({ path: `${path}.transport.type`, reason: `${p.name} devices speak ${p.transports.join(', ')}, not ${t.type}` });
  if (t.type === 'rtu') {
    const allowed = (k: 'parity' | 'stopBits' | 'baud', v: string | number): void => {
      const list = p.serial[k] as readonly (string | number)[] | undefined;
      if (list && !list.includes(v)) issues.push({ path: `${path}.transport.${k}`, reason: `${p.name} supports ${k} ${list.join(', ')} only (got ${v})` });
    };
    allowed('parity', t.parity);
    allowed('stopBits', t.stopBits);
    allowed('baud', t.baud);
  }
  const unit = d.unit ?? p.defaultUnit;
  if (t.type !== 'tcp' && (unit < 1 || unit > 247)) {
    issues.push({ path: `${path}.unit`, reason: `an RTU slave address is 1–247 (0 is broadcast: nobody answers; got ${unit})` });
  }
  if (p.outlets.count === undefined && p.outlets.max > 0 && d.outlets === undefined) {
    issues.push({ path: `${path}.outlets`, reason: `is required with profile ${p.name} (its outlet count depends on the model)` });
  }
  if (d.outletSwitching && !p.outletControl) issues.push({ path: `${path}.outletSwitching`, reason: `profile ${p.name} maps no outlet relays` });
  return issues;
}

export const modbusFamily: DeviceFamily<ModbusDeviceConfig, ResolvedModbus> = {
  async resolve(d, ctx) {
    const loaded = await loadProfile(d.profile, ctx.baseDir);
    if (!loaded.ok) return { ok: false, issues: [{ path: `${ctx.path}.profile`, reason: loaded.reason }] };
    const p = loaded.profile;
    const issues = deviceChecks(d, p, ctx.path);
    if (issues.length) return { ok: false, issues };
    const o = d.workarounds;
    const workarounds: Workarounds = { ...p.workarounds, ...stripUndefined({ pauseBetweenRequestsMs: o.pauseBetweenRequestsMs, pauseAfterConnectMs: o.pauseAfterConnectMs, closeAfterPoll: o.closeAfterPoll, readCoilsFromZero: o.readCoilsFromZero }) };
    const limits = { ...p.limits, ...stripUndefined({ maxRegisters: o.maxRegisters, onePerPoint: o.onePerPoint }) };
    let expanded: ExpandedProfile;
    try {
      expanded = expandProfile({ ...p, limits, workarounds }, d.outlets);
    } catch (err) {
      return { ok: false, issues: [{ path: d.outlets !== undefined ? `${ctx.path}.outlets` : `${ctx.path}.profile`, reason: (err as Error).message }] };
    }
    return { ok: true, value: { profile: p, expanded, workarounds, unit: d.unit ?? p.defaultUnit, outletMap: outletMapOf(p) } };
  },

  crossCheck(devices) {
    const issues: Issue[] = [];
    const seen = new Map<string, { path: string; settings: string; key: string }>();
    for (const { config: d, path, resolved } of devices) {
      const spec = lineSpecOf(d.transport);
      const place = placeOf(spec);
      const settings = lineSettings(spec, lineTimingOf(d, resolved.workarounds));
      const first = seen.get(place);
      if (!first) seen.set(place, { path, settings, key: lineKey(spec) });
      else if (first.settings !== settings) {
        issues.push({ path: `${path}.transport`, reason: `shares ${first.key} with ${first.path}, so its transport, timeouts and connection workarounds must match (${settings} vs ${first.settings})` });
      }
    }
    return issues;
  },

  create(d, r, deps) {
    const lines = deps.modbusLines;
    if (!lines) throw new Error('DriverDeps.modbusLines is required for modbus devices (agent/main.ts builds it)');
    const lease = lines.acquire(lineSpecOf(d.transport), lineTimingOf(d, r.workarounds));
    const client = new ModbusClient(lease.line, { unit: r.unit, timeoutMs: d.timeoutMs, busyRetries: d.busyRetries, busyRetryDelayMs: d.busyRetryDelayMs });
    const switching = d.outletSwitching && r.outletMap ? { map: r.outletMap, inrushSpacingMs: d.inrushSpacingMs } : undefined;
    return new ModbusPowerDevice(
      { id: d.id, profile: r.profile, expanded: r.expanded, workarounds: r.workarounds, labels: d.labels, ...(switching ? { switching } : {}) },
      client,
      { clock: deps.clock, release: () => lease.release() },
    );
  },
};

function stripUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
