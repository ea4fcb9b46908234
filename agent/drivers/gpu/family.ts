// The `gpu-host` device family: the GPUs of one server, read and capped through nvidia-smi,
// locally or over ssh / a command prefix (docs/gpu.md).
import type { DeviceFamily } from '../family.js';
import type { GpuHostDeviceConfig } from './config.js';
import { GpuHostDriver } from './driver.js';
import { NvidiaSmiRunner, sshPrefix, type NvidiaSmiAccess } from './runner.js';

export function accessOf(d: Pick<GpuHostDeviceConfig, 'ssh' | 'prefix' | 'setPrefix' | 'nvidiaSmi' | 'timeoutMs'>): NvidiaSmiAccess {
  return { prefix: d.ssh ? sshPrefix(d.ssh, d.timeoutMs) : d.prefix, setPrefix: d.setPrefix, nvidiaSmi: d.nvidiaSmi, timeoutMs: d.timeoutMs };
}

export const gpuHostFamily: DeviceFamily<GpuHostDeviceConfig, undefined> = {
  async resolve() {
    return { ok: true, value: undefined };
  },
  create(d, _r, deps) {
    if (!deps.exec) throw new Error(`device ${d.id}: gpu-host needs a command runner (DriverDeps.exec, provided by agent/main.ts)`);
    if (d.stream && !deps.execStream) throw new Error(`device ${d.id}: gpu-host streaming needs DriverDeps.execStream (provided by agent/main.ts), or stream: false`);
    const log = deps.log.child({ device: d.id });
    return new GpuHostDriver(
      { id: d.id, gpus: d.gpus, intervalMs: d.intervalMs, restoreTo: d.restoreTo, reapply: d.reapply, stream: d.stream, labels: d.labels },
      new NvidiaSmiRunner(accessOf(d), deps.exec, deps.execStream),
      deps.clock,
      log,
    );
  },
};
