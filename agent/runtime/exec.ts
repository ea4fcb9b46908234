// Child processes as a small contract: run a command given as an argv array (never a shell
// string), collect its output, and kill its whole process group when it outlives its timeout or
// is aborted. The real `spawn` is passed in by agent/main.ts (the only module that constructs
// child processes); everything else receives an `Exec`.
//
// Contract:
//   - A non-zero exit is a result, not an error: tools like nvidia-smi say what went wrong through
//     their exit codes and output, and the caller decides.
//   - Rejections are ExecErrors with a stable code: exec_timeout (retryable), exec_not_found,
//     exec_spawn_failed, exec_output_limit, cancelled.
//   - On timeout or abort the promise settles at once, without waiting for the child to exit: a
//     tool stuck in the kernel (a GPU that fell off the bus leaves nvidia-smi in D state) may
//     never die, and the caller's cycle must not hang with it. The group gets SIGKILL.

import type { ChildProcess, SpawnOptions } from 'node:child_process';
import type { Clock } from './clock.js';
import { RackpilotError } from './errors.js';

export interface ExecRequest {
  /** Program and its arguments; argv[0] is looked up on PATH when it has no slash. */
  readonly argv: readonly string[];
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Per stream; the child is killed when it writes more (default 1 MiB). */
  readonly maxOutputBytes?: number;
}

export interface ExecResult {
  /** Exit code, or null when the child ended by a signal. */
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

export type Exec = (req: ExecRequest) => Promise<ExecResult>;

export type ExecErrorCode = 'exec_timeout' | 'exec_not_found' | 'exec_spawn_failed' | 'exec_output_limit' | 'cancelled';

export class ExecError extends RackpilotError {
  declare readonly code: ExecErrorCode;
  constructor(code: ExecErrorCode, message: string, opts: { retryable?: boolean; cause?: unknown } = {}) {
    super(code, message, opts);
    this.name = 'ExecError';
  }
}

/** The part of child_process.spawn that createExec uses (tests and main.ts pass the real one). */
export type SpawnFn = (file: string, args: readonly string[], opts: SpawnOptions) => ChildProcess;

export interface ExecStats {
  runs: number;
  timeouts: number;
  /** Children killed (timeout, abort, output limit) that had not exited when last seen. */
  unreaped: number;
  /**
   * Longest time spawn() itself took, ms. It is synchronous (fork, then wait for exec), so this
   * is how long starting a child stalled the event loop at worst.
   */
  maxSpawnMs: number;
}

const DEFAULT_MAX_OUTPUT = 1 << 20;

/**
 * Builds an Exec on top of `spawn`. Each child runs in its own process group (detached), so a
 * kill reaches what it started too (sudo → nvidia-smi, ssh's helpers).
 */
export function createExec(spawn: SpawnFn, clock: Clock, stats: ExecStats = { runs: 0, timeouts: 0, unreaped: 0, maxSpawnMs: 0 }): Exec {
  return (req) => new Promise<ExecResult>((resolve, reject) => {
    const [file, ...args] = req.argv;
    if (file === undefined || file === '') {
      reject(new ExecError('exec_spawn_failed', 'empty command'));
      return;
    }
    if (req.signal?.aborted) {
      reject(new ExecError('cancelled', `${file}: cancelled before start`));
      return;
    }
    stats.runs++;
    const began = clock.monotonic();
    const max = req.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    let child: ChildProcess;
    try {
      child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, windowsHide: true });
    } catch (err) {
      reject(new ExecError('exec_spawn_failed', `${file}: ${(err as Error).message}`, { cause: err }));
      return;
    }
    stats.maxSpawnMs = Math.max(stats.maxSpawnMs, clock.monotonic() - began);
    const out: Buffer[] = [];
    const errOut: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let settled = false;

    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      timer.cancel();
      req.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const kill = (why: ExecError): void => {
      finish(() => reject(why));
      if (child.exitCode !== null || child.signalCode !== null) return;
      stats.unreaped++;
      child.once('exit', () => stats.unreaped--);
      killGroup(child);
    };
    const onAbort = (): void => kill(new ExecError('cancelled', `${file}: cancelled`, { cause: req.signal?.reason }));
    const timer = clock.setTimeout(() => {
      stats.timeouts++;
      kill(new ExecError('exec_timeout', `${file}: no answer within ${req.timeoutMs} ms (killed)`, { retryable: true }));
    }, req.timeoutMs);
    req.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout?.on('data', (d: Buffer) => {
      outBytes += d.length;
      if (outBytes > max) kill(new ExecError('exec_output_limit', `${file}: more than ${max} bytes of output (killed)`));
      else out.push(d);
    });
    child.stderr?.on('data', (d: Buffer) => {
      errBytes += d.length;
      if (errBytes <= max) errOut.push(d);
    });
    child.once('error', (err: NodeJS.ErrnoException) => {
      const code: ExecErrorCode = err.code === 'ENOENT' ? 'exec_not_found' : 'exec_spawn_failed';
      const msg = err.code === 'ENOENT' ? `${file}: command not found` : `${file}: ${err.message}`;
      finish(() => reject(new ExecError(code, msg, { cause: err })));
    });
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      finish(() => resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(errOut).toString('utf8'),
        durationMs: clock.monotonic() - began,
      }));
    });
  });
}

function killGroup(child: ChildProcess): void {
  const pid = child.pid;
  try {
    if (pid !== undefined) process.kill(-pid, 'SIGKILL');
    else child.kill('SIGKILL');
  } catch {
    // Already gone, or the group leader exited while its group lives on: kill the leader.
    child.kill('SIGKILL');
  }
}

/**
 * One line for logs and events: the first non-empty line of output (tools put the cause first,
 * e.g. nvidia-smi's "Failed to set power management limit …" before "Terminating early …"),
 * with the exit status.
 */
export function execSummary(r: ExecResult): string {
  const first = `${r.stdout}\n${r.stderr}`.split(/\r?\n/).map((l) => l.trim()).find(Boolean);
  const status = r.code === null ? `killed by ${r.signal ?? 'signal'}` : `exit ${r.code}`;
  return first ? `${first} (${status})` : status;
}
