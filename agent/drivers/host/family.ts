// The `host` device family: the rack controller's own health (docs/config.md).
import type { DeviceFamily } from '../family.js';
import type { HostDeviceConfig } from './config.js';
import { HostDriver } from './driver.js';

export const hostFamily: DeviceFamily<HostDeviceConfig, undefined> = {
  async resolve() {
    return { ok: true, value: undefined };
  },
  create(d, _r, deps) {
    if (!deps.host) throw new Error(`device ${d.id}: host needs the controller's OS (DriverDeps.host, provided by agent/main.ts)`);
    const interfaces = d.interfaces ?? deps.host.interfaces();
    return new HostDriver({ id: d.id, intervalMs: d.intervalMs, disks: d.disks, interfaces, temperatures: d.temperatures, labels: d.labels }, deps.host, deps.clock);
  },
};
