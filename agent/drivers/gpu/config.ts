// Config of a GPU server: `type: gpu-host` in rack.yaml (docs/config.md, docs/gpu.md).
import { loadShape } from '../../config/common.js';
import { s, type Infer } from '../../config/shape.js';
import { SHELL_SAFE } from './runner.js';

const word = s.string({ min: 1, max: 4096 });
const safeWord = s.string({ pattern: SHELL_SAFE, patternHint: 'a word of letters, digits and _@%+=:,./- (it may pass through a remote shell)' });

export const gpuHostDeviceShape = s.object({
  id: s.id(),
  /** GPUs the server has; a GPU missing from nvidia-smi's output is then reported, not ignored. */
  gpus: s.int({ min: 1, max: 64 }),
  /** Reach the server over ssh (key-based; BatchMode, so never a password prompt). */
  ssh: s.object({
    host: s.string({ pattern: /^[A-Za-z0-9_.:-]+$/, patternHint: 'a host name or address' }).refine((h) => (h.startsWith('-') ? 'must not start with "-"' : undefined)),
    user: s.string({ pattern: /^[a-z_][a-z0-9_.-]{0,31}$/, patternHint: 'a user name' }).opt(),
    port: s.int({ min: 1, max: 65535 }).opt(),
    identityFile: s.string({ min: 1 }).opt(),
    /** Extra ssh -o options, e.g. "StrictHostKeyChecking=yes". */
    options: s.array(s.string({ pattern: /^[A-Za-z]+=\S+$/, patternHint: 'Key=value' })).default([]),
  }).opt(),
  /** Any other way to reach it: words run before nvidia-smi (e.g. ["chroot", "/run/nvidia/driver"]). */
  prefix: s.array(word).default([]),
  /** Words before nvidia-smi for -pl only, which needs root: e.g. ["sudo", "-n"]. */
  setPrefix: s.array(safeWord).default([]),
  nvidiaSmi: safeWord.default('nvidia-smi'),
  /** How often the GPUs are sampled (nvidia-smi's -lms, or one call per interval); never in the PDU cycle's way. */
  intervalMs: s.int({ min: 500, max: 3_600_000, unit: 'ms' }).default(2000),
  /** Per nvidia-smi call; the call (and its process group) is killed after it. A stream is restarted after 2 × intervalMs + this without a sample. */
  timeoutMs: s.int({ min: 100, max: 120_000, unit: 'ms' }).default(5000),
  /** One long-lived `nvidia-smi -lms` per server (true), or one call per interval (false: hosts where the loop misbehaves). */
  stream: s.boolean().default(true),
  /** The limit restored when a cap ends: the one found before the first change, or the default. */
  restoreTo: s.enum(['startup', 'default'] as const).default('startup'),
  /** Set a held cap again when the driver raised the limit back. */
  reapply: s.boolean().default(true),
  load: loadShape('ai-flexible'),
  labels: s.record(s.string()).default({}),
}).refine((d) => (d.ssh && d.prefix.length ? 'give either ssh or prefix, not both' : undefined));

export type GpuHostDeviceConfig = Infer<typeof gpuHostDeviceShape> & { type: 'gpu-host' };
