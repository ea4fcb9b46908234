// rackpilot diag gpu [--config FILE] [--host H] [--json]
import { loadConfig } from '../../config/load.js';
import type { GpuHostDeviceConfig } from '../../drivers/gpu/config.js';
import { accessOf } from '../../drivers/gpu/family.js';
import { GPU_FIELDS } from '../../drivers/gpu/fields.js';
import { NvidiaSmiReader } from '../../drivers/gpu/reader.js';
import { NvidiaSmiRunner } from '../../drivers/gpu/runner.js';
import { realExec } from '../../main.js';
import { systemClock } from '../../runtime/clock.js';
import { nullLogger } from '../../runtime/log.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { gpuReportJson, gpuReportText, type GpuHostReport } from '../gpu-view.js';

type Target = { readonly device: string } & Pick<GpuHostDeviceConfig, 'ssh' | 'prefix' | 'setPrefix' | 'nvidiaSmi' | 'timeoutMs'>;

async function targets(flags: Record<string, unknown>, timeoutMs: number): Promise<Target[]> {
  const host = typeof flags['host'] === 'string' ? flags['host'] : undefined;
  const cfgPath = flags['config'];
  const plain = { prefix: [], setPrefix: [], nvidiaSmi: 'nvidia-smi', timeoutMs };
  if (typeof cfgPath !== 'string') {
    if (host === undefined) return [{ device: 'local', ...plain }];
    if (!/^[A-Za-z0-9_.:@-]+$/.test(host) || host.startsWith('-')) throw new UsageError(`--host must be a device id or an ssh destination (got "${host}")`);
    const [user, name] = host.includes('@') ? host.split('@') : [undefined, host];
    return [{ device: host, ...plain, ssh: { host: name ?? host, user, options: [] } }];
  }
  const { config } = await loadConfig(cfgPath);
  const gpuHosts = config.devices.filter((d): d is GpuHostDeviceConfig => d.type === 'gpu-host');
  const chosen = host === undefined ? gpuHosts : gpuHosts.filter((d) => d.id === host);
  if (chosen.length === 0) {
    throw new UsageError(host === undefined ? `${cfgPath} has no gpu-host device` : `${cfgPath} has no gpu-host "${host}" (it has: ${gpuHosts.map((d) => d.id).join(', ') || 'none'})`);
  }
  return chosen.map((d) => ({ device: d.id, ssh: d.ssh, prefix: d.prefix, setPrefix: d.setPrefix, nvidiaSmi: d.nvidiaSmi, timeoutMs: Math.max(timeoutMs, d.timeoutMs) }));
}

export const diagGpuCommand: Command = {
  spec: {
    name: 'diag gpu',
    summary: 'list the GPUs of GPU servers: power, limits, temperatures',
    usage: 'rackpilot diag gpu [--config FILE] [--host H] [--json]',
    flags: {
      config: { type: 'string', value: 'FILE', help: "read the gpu-host devices of this agent config (their ssh/prefix settings)", short: 'c' },
      host: { type: 'string', value: 'H', help: 'only this gpu-host device of the config; without --config, an ssh destination ([user@]host)' },
      json: { type: 'boolean', help: 'print JSON (unknown values are null, with the reason under "unknown")' },
      timeout: { type: 'number', value: 'MS', help: 'per nvidia-smi call', default: 10_000 },
    },
    details: 'Runs nvidia-smi once per server (read-only), the same way the agent does. Without --config and\n--host it reads the GPUs of this machine. Exit 1 when a server could not be read.',
  },
  async run(flags, _p, io) {
    const timeoutMs = Number(flags['timeout']);
    if (!(timeoutMs >= 100 && timeoutMs <= 600_000)) throw new UsageError('--timeout must be 100–600000 ms');
    const exec = realExec();
    const reports = await Promise.all((await targets(flags, timeoutMs)).map(async (t): Promise<GpuHostReport> => {
      const runner = new NvidiaSmiRunner(accessOf(t), exec);
      const reader = new NvidiaSmiReader(runner, GPU_FIELDS, systemClock, nullLogger);
      const read = await reader.read(undefined);
      return { device: t.device, address: runner.address, read, missingFields: reader.missingFields };
    }));
    io.out.write(flags['json'] ? JSON.stringify(gpuReportJson(reports), null, 2) + '\n' : gpuReportText(reports));
    return reports.every((r) => r.read.ok) ? EXIT_OK : EXIT_FAILURE;
  },
};
