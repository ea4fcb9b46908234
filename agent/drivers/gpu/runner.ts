// How nvidia-smi is reached on one GPU server: locally, or through a command prefix such as
// `ssh -o BatchMode=yes gpu01` (docs/gpu.md). Every call is argv words, never a shell string.
// ssh joins the remote words into one command line for the remote shell, so every word that
// goes to the far side is checked to be shell-safe here; rackpilot's own arguments always are.

import { ExecError, type Exec, type ExecResult, type ExecStream, type ExecStreamHandle, type ExecStreamRequest } from '../../runtime/exec.js';

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
    /** For the long-lived `-lms` child (stream mode); absent: only one-shot calls are possible. */
    private readonly execStream?: ExecStream,
  ) {}

  get address(): string {
    return accessAddress(this.access);
  }

  get canStream(): boolean {
    return this.execStream !== undefined;
  }

  /**
   * Runs nvidia-smi with `args`; `privileged` puts the set prefix in front (for -pl). Rejects
   * only with ExecError (timeout, not found, cancelled); exit codes are in the result.
   */
  run(args: readonly string[], signal: AbortSignal | undefined, privileged = false): Promise<ExecResult> {
    const argv = this.argv(args, privileged);
    if (argv instanceof ExecError) return Promise.reject(argv);
    return this.exec({ argv, timeoutMs: this.access.timeoutMs, ...(signal ? { signal } : {}) });
  }

  /**
   * Starts nvidia-smi with `args` as a long-lived child (through the same prefix: an ssh session
   * then stays open with it) and hands its output over line by line. Never throws: a refused
   * word or a missing ExecStream is a stream that has already ended with the reason.
   */
  stream(args: readonly string[], lines: Pick<ExecStreamRequest, 'onStdout' | 'onStderr' | 'maxLineLength'>): ExecStreamHandle {
    const argv = this.argv(args, false);
    if (argv instanceof ExecError) return endedWith(argv);
    if (!this.execStream) return endedWith(new ExecError('exec_spawn_failed', 'no stream runner (DriverDeps.execStream) was given'));
    return this.execStream({ argv, ...lines });
  }

  private argv(args: readonly string[], privileged: boolean): string[] | ExecError {
    const remote = [...(privileged ? this.access.setPrefix : []), this.access.nvidiaSmi, ...args];
    const unsafe = remote.find((w) => !SHELL_SAFE.test(w));
    if (unsafe !== undefined) return new ExecError('exec_spawn_failed', `refusing to run nvidia-smi with the unsafe word ${JSON.stringify(unsafe)}`);
    return [...this.access.prefix, ...remote];
  }
}

function endedWith(error: ExecError): ExecStreamHandle {
  return { ended: Promise.resolve({ code: null, signal: null, error }), kill: () => undefined };
}
