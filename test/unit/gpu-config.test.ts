// Config of `gpu-host` and `host` devices: defaults, errors with path and reason, and how the
// access settings become the words run (ssh prefix, set prefix, shell-safety).
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../agent/config/load.js';
import { ConfigError } from '../../agent/config/shape.js';
import { accessOf } from '../../agent/drivers/gpu/family.js';
import { accessAddress, NvidiaSmiRunner, sshPrefix } from '../../agent/drivers/gpu/runner.js';
import { systemClock } from '../../agent/runtime/clock.js';
import { createExec, ExecError } from '../../agent/runtime/exec.js';

async function load(devices: unknown[]): Promise<Awaited<ReturnType<typeof resolveConfig>>['config']> {
  return (await resolveConfig({ agent: { id: 'a', site: 's', rack: 'r' }, devices }, 'rack.yaml', '.')).config;
}

async function issues(devices: unknown[]): Promise<string[]> {
  try {
    await load(devices);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.reason}`);
    throw err;
  }
  return [];
}

describe('gpu-host and host config', () => {
  it('fills defaults: local nvidia-smi streaming every 2 s, 5 s timeout, restore to the startup limit, ai-flexible load', async () => {
    const c = await load([{ id: 'gpu-01', type: 'gpu-host', gpus: 8 }, { id: 'ctl', type: 'host' }, { id: 'gpu-02', type: 'gpu-host', gpus: 8, stream: false }]);
    expect(c.devices[0]).toEqual({
      id: 'gpu-01', type: 'gpu-host', gpus: 8, prefix: [], setPrefix: [], nvidiaSmi: 'nvidia-smi', intervalMs: 2000, timeoutMs: 5000, stream: true,
      restoreTo: 'startup', reapply: true, load: { class: 'ai-flexible', priority: 0 }, labels: {},
    });
    expect(c.devices[2]).toMatchObject({ id: 'gpu-02', stream: false });
    expect(c.devices[1]).toEqual({ id: 'ctl', type: 'host', intervalMs: 10_000, disks: ['/'], temperatures: true, labels: {} });
  });

  it('rejects bad values with the path and a one-line reason', async () => {
    expect(await issues([{ id: 'g', type: 'gpu-host' }])).toEqual(['devices[0].gpus: is required (an integer)']);
    expect(await issues([{ id: 'g', type: 'gpu-host', gpus: 8, ssh: { host: 'gpu01' }, prefix: ['env'] }])).toEqual(['devices[0]: give either ssh or prefix, not both']);
    expect(await issues([{ id: 'g', type: 'gpu-host', gpus: 8, nvidiaSmi: 'nvidia-smi; reboot' }])).toEqual([expect.stringMatching(/^devices\[0\]\.nvidiaSmi: must be a word of letters, digits/)]);
    expect(await issues([{ id: 'g', type: 'gpu-host', gpus: 8, ssh: { host: '-oBatchMode' } }])).toEqual(['devices[0].ssh.host: must not start with "-"']);
    expect(await issues([{ id: 'g', type: 'gpu-host', gpus: 8, restoreTo: 'max' }])).toEqual(['devices[0].restoreTo: must be one of startup, default (got "max")']);
    expect(await issues([{ id: 'g', type: 'gpu-host', gpus: 8, stream: 'no' }])).toEqual([expect.stringMatching(/^devices\[0\]\.stream: must be /)]);
    expect(await issues([{ id: 'g', type: 'gpu-host', gpus: 8, sshh: {} }])).toEqual(['devices[0].sshh: unknown key (did you mean "ssh"?)']);
    expect(await issues([{ id: 'h', type: 'host', disks: ['var'] }])).toEqual([expect.stringMatching(/^devices\[0\]\.disks\[0\]: must be an absolute path/)]);
    expect(await issues([{ id: 'h', type: 'host', intervalMs: 100 }])).toEqual([expect.stringMatching(/^devices\[0\]\.intervalMs: must be/)]);
  });

  it('ssh settings become a BatchMode ssh prefix; sudo goes after it, before nvidia-smi', async () => {
    const c = await load([{ id: 'g', type: 'gpu-host', gpus: 4, ssh: { host: 'gpu01', user: 'rackpilot', port: 2222, identityFile: '/etc/rackpilot/id_ed25519', options: ['StrictHostKeyChecking=yes'] }, setPrefix: ['sudo', '-n'], timeoutMs: 6000 }]);
    const d = c.devices[0]!;
    if (d.type !== 'gpu-host') throw new Error('not a gpu-host');
    const access = accessOf(d);
    expect(access.prefix).toEqual(['ssh', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=3', '-p', '2222', '-i', '/etc/rackpilot/id_ed25519', '-o', 'StrictHostKeyChecking=yes', 'rackpilot@gpu01']);
    expect(accessAddress(access)).toBe('ssh://rackpilot@gpu01');
    expect(accessAddress({ ...access, prefix: [] })).toBe('local');
    expect(accessAddress({ ...access, prefix: ['env', 'SECRET=x'] })).toBe('exec:env');
    const seen: string[][] = [];
    const record = createExec((file, args, opts) => {
      seen.push([file, ...args]);
      return spawn('true', [], opts);
    }, systemClock);
    await new NvidiaSmiRunner(access, record).run(['-i', 'GPU-1', '-pl', '300.00'], undefined, true);
    expect(seen[0]).toEqual([...access.prefix, 'sudo', '-n', 'nvidia-smi', '-i', 'GPU-1', '-pl', '300.00']);
    expect(sshPrefix({ host: 'h' }, 500)).toContain('ConnectTimeout=1');
  });

  it('refuses words that a remote shell would interpret', async () => {
    const runner = new NvidiaSmiRunner({ prefix: ['ssh', 'gpu01'], setPrefix: [], nvidiaSmi: 'nvidia-smi', timeoutMs: 1000 }, createExec(spawn, systemClock));
    const err = await runner.run(['-i', '0; reboot'], undefined).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ExecError);
    expect((err as ExecError).message).toContain('refusing to run nvidia-smi with the unsafe word "0; reboot"');
    const lines = { onStdout: () => undefined, onStderr: () => undefined };
    expect((await runner.stream(['-lms', '500;reboot'], lines).ended).error?.message).toContain('refusing to run nvidia-smi with the unsafe word "500;reboot"');
    expect((await runner.stream(['-lms', '500'], lines).ended).error?.message).toContain('no stream runner');
  });
});
