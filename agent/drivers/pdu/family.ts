// The `modbus` device family: PDUs and meters described by a profile.
import { loadYamlFile } from '../../config/yaml.js';
import { ConfigError } from '../../config/shape.js';
import { resolve as resolvePath } from 'node:path';
import type { DeviceFamily } from '../family.js';
import { ModbusTcpLink } from '../modbus/tcp-link.js';
import type { ModbusDeviceConfig } from './config.js';
import { ModbusPowerDevice } from './driver.js';
import { expandProfile, profileShape, type Profile } from './profile.js';
import { BUILTIN_PROFILES } from './profiles/index.js';

export const modbusFamily: DeviceFamily<ModbusDeviceConfig, Profile> = {
  async resolve(d, ctx) {
    const path = `${ctx.path}.profile`;
    let profile = BUILTIN_PROFILES.get(d.profile);
    if (!profile) {
      if (!/[/\\]|\.ya?ml$/.test(d.profile)) {
        return { ok: false, issues: [{ path, reason: `unknown profile "${d.profile}"; built-in profiles: ${[...BUILTIN_PROFILES.keys()].join(', ')}, or give a path to a YAML file` }] };
      }
      try {
        profile = await loadYamlFile(resolvePath(ctx.baseDir, d.profile), profileShape, 'profile');
      } catch (err) {
        return { ok: false, issues: [{ path, reason: err instanceof ConfigError ? err.message.replace(/\n/g, '; ') : String(err) }] };
      }
    }
    if (profile.outlets.count === undefined && profile.outlets.max > 0 && d.outlets === undefined) {
      return { ok: false, issues: [{ path: `${ctx.path}.outlets`, reason: `is required with profile ${profile.name} (its outlet count depends on the model)` }] };
    }
    try {
      expandProfile(profile, d.outlets);
    } catch (err) {
      return { ok: false, issues: [{ path: `${ctx.path}.outlets`, reason: (err as Error).message }] };
    }
    return { ok: true, value: profile };
  },
  create(d, profile, deps) {
    const link = new ModbusTcpLink(
      { host: d.transport.host, port: d.transport.port, unitId: d.unit, timeoutMs: d.timeoutMs, connectTimeoutMs: d.connectTimeoutMs, reconnectDelayMs: d.reconnectDelayMs },
      { dial: deps.dial, clock: deps.clock, log: deps.log.child({ device: d.id }) },
    );
    return new ModbusPowerDevice({ id: d.id, profile, ...(d.outlets !== undefined ? { outlets: d.outlets } : {}), labels: d.labels }, link, deps.clock);
  },
};
