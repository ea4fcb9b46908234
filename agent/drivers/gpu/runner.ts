// How nvidia-smi is reached on one GPU server: locally, or through a command prefix such as
// `ssh -o BatchMode=yes gpu01` (docs/gpu.md). Every call is argv words, never a shell string.
// ssh joins the remote words into one command line for the remote shell, so every word that
// goes to the far side is checked to be shell-safe here; rackpilot's own arguments always are.

import { ExecError, type Exec, type ExecResult } from '../../runtime/exec.js';

export interface NvidiaSmiAccess {
  /** Words before nvidia-smi on every call (["ssh", "-o", "BatchMode=yes", "gpu01"]); [] = local. */
  readonly prefix: readonly string[];
  /** Words between the prefix and nvidia-smi for `-pl` only (["sudo", "-n"]): -pl needs root. */
  readonly setPrefix: readonly string[];
  /** The nvidia-smi executable on the GPU server (name on PATH or absolute path). */
  readonly nvidiaSmi: string;
  readonly timeoutMs: number;
}

/** Words that mean the same to a remote shell as to execve: no quoting, globbing or expansion. */
export const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

export interface SshOptions {
  readonly host: string;
  readonly user?: string | undefined;
  readonly port?: number | undefined;
  readonly identityFile?: string | undefined;
  /** Extra `-o` options, e.g. "StrictHostKeyChecking=yes". */
  readonly options?: readonly string[] | undefined;
}

/**
 * The prefix for reaching a GPU server over ssh: BatchMode (never prompt: a prompt would hang
 * until the timeout) and a connect timeout under the call's own timeout.
 */
export function sshPrefix(o: SshOptions, timeoutMs: number): string[] {
  const connectS = Math.max(1, Math.floor(timeoutMs / 2000));
  return [
    'ssh', '-o', 'BatchMode=yes', '-o', `ConnectTimeout=${connectS}`,
    ...(o.port !== undefined ? ['-p', String(o.port)] : []),
    ...(o.identityFile !== undefined ? ['-i', o.identityFile] : []),
    ...(o.options ?? []).flatMap((opt) => ['-o', opt]),
    o.user !== undefined ? `${o.user}@${o.host}` : o.host,
  ];
}

/** "local", "ssh://user@host", or "exec:<program>" (never the whole prefix: it may hold secrets). */
export function accessAddress(a: NvidiaSmiAccess): string {
  const [first] = a.prefix;
  if (first === undefined) return 'local';
  if (first === 'ssh' || first.endsWith('/ssh')) {
    const dest = [...a.prefix].reverse().find((w) => !w.startsWith('-') && SHELL_SAFE.test(w));
    return `ssh://${dest ?? '?'}`;
  }
  return `exec:${first.split('/').pop() ?? first}`;
}

export class NvidiaSmiRunner {
  constructor(
    readonly access: NvidiaSmiAccess,
    private readonly exec: Exec,
  ) {}

  get address(): string {
    return accessAddress(this.access);
  }

  /**
   * Runs nvidia-smi with `args`; `privileged` puts the set prefix in front (for -pl). Rejects
   * only with ExecError (timeout, not found, cancelled); exit codes are in the result.
   */
  run(args: readonly string[], signal: AbortSignal | undefined, privileged = false): Promise<ExecResult> {
    const remote = [...(privileged ? this.access.setPrefix : []), this.access.nvidiaSmi, ...args];
    const unsafe = remote.find((w) => !SHELL_SAFE.test(w));
    if (unsafe !== undefined) {
      return Promise.reject(new ExecError('exec_spawn_failed', `refusing to run nvidia-smi with the unsafe word ${JSON.stringify(unsafe)}`));
    }
    return this.exec({ argv: [...this.access.prefix, ...remote], timeoutMs: this.access.timeoutMs, ...(signal ? { signal } : {}) });
  }
}
