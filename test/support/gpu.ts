// Simulated GPU hosts for tests: hw-sim's fake nvidia-smi first on PATH (a real executable the
// agent spawns), scenarios with GPU servers, and a fake `sudo` for the privileged set path.
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { gpuServerSpec } from '../../hw-sim/physics/loads/gpu-server.js';
import type { Scenario } from '../../hw-sim/scenarios/types.js';

export const SIM_BIN = join(import.meta.dirname, '../../hw-sim/bin');

/** Puts hw-sim/bin first on this process's PATH, so `nvidia-smi` is the fake. Idempotent. */
export function fakeNvidiaSmiOnPath(): void {
  const parts = (process.env['PATH'] ?? '').split(delimiter);
  if (parts[0] !== SIM_BIN) process.env['PATH'] = [SIM_BIN, ...parts.filter((p) => p !== SIM_BIN)].join(delimiter);
}

/** One PDU and `hosts` GPU servers (8 GPUs each unless told), reached through the fake nvidia-smi. */
export function gpuScenario(o: { hosts?: number; gpus?: number; gpu?: string; driver?: string; demand?: number } = {}): Scenario {
  const gpus = o.gpus ?? 8;
  const gpu = o.gpu ?? 'h100-sxm5';
  return {
    name: 'test-gpu',
    description: 'test: GPU servers behind the fake nvidia-smi',
    pdus: [{ id: 'pdu-a', model: 'rackpilot-sim-pdu', unit: 1, phases: 3, outlets: 12, voltage: 230, frequencyHz: 50, sourceOhms: 0.03, breakerA: 63 }],
    loads: Array.from({ length: o.hosts ?? 1 }, (_, i) => ({
      id: `gpu-0${i + 1}`, family: 'gpu-server', pdu: 'pdu-a', outlet: i + 1, demand: o.demand ?? 0.8, ...gpuServerSpec(gpu, gpus, 1200),
      device: { model: 'rackpilot-sim-gpu-host', gpus, gpu, driver: o.driver ?? '550.54.15', baseW: 1200 },
    })),
    timeline: [],
  };
}

/**
 * A stand-in for `sudo -n`: runs the rest of its arguments as "uid 4242", which the simulated
 * GPU host can be told to treat as root (the fake nvidia-smi reads RACKPILOT_SIM_NVSMI_UID).
 */
export const FAKE_ROOT_UID = 4242;
export async function fakeSudo(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rp-sudo-'));
  const path = join(dir, 'sudo');
  await writeFile(path, `#!/bin/sh\n[ "$1" = "-n" ] && shift\nRACKPILOT_SIM_NVSMI_UID=${FAKE_ROOT_UID} exec "$@"\n`);
  await chmod(path, 0o755);
  return path;
}

/**
 * A stand-in for ssh, first in a directory of its own: logs its arguments to `log`, takes its
 * options and destination, then runs the remote words through a shell as the remote sshd would,
 * with hw-sim's fake nvidia-smi first on that shell's PATH. Returns the directory (for PATH).
 */
export async function fakeSsh(log: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rp-ssh-'));
  await writeFile(join(dir, 'ssh'), [
    '#!/bin/sh',
    `echo "$@" >> ${log}`,
    'while [ $# -gt 0 ]; do case "$1" in -o|-p|-i|-l) shift 2;; -*) shift;; *) break;; esac; done',
    'shift',
    `PATH=${SIM_BIN}:$PATH exec sh -c "$*"`,
  ].join('\n') + '\n');
  await chmod(join(dir, 'ssh'), 0o755);
  return dir;
}
