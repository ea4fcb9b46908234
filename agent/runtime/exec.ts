// Child processes as a small contract: run a command given as an argv array (never a shell
// string), collect its output, and kill its whole process group when it outlives its timeout or
// is aborted. The real `spawn` is passed in by agent/main.ts (the only module that constructs
// child processes); everything else receives an `Exec` (one run, output collected) or an
// `ExecStream` (a long-lived child whose output is read line by line as it comes).
//
// Contract:
//   - A non-zero exit is a result, not an error: tools like nvidia-smi say what went wrong through
//     their exit codes and output, and the caller decides.
//   - Rejections are ExecErrors with a stable code: exec_timeout (retryable), exec_not_found,
//     exec_spawn_failed, exec_output_limit, cancelled.
//   - On timeout or abort the promise settles at once, without waiting for the child to exit: a
//     tool stuck in the kernel (a GPU that fell off the bus leaves nvidia-smi in D state) may
//     never die, and the caller's cycle must not hang with it. The group gets SIGKILL.
//   - A stream has no timeout of its own (its owner watches for silence); it ends exactly once:
//     the child exited, could not start, wrote a line over the limit, or was killed. A kill ends
//     it at once, for the same reason as above, and no line is delivered after the end.

import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
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

/** A long-lived child read line by line (nvidia-smi -lms, over ssh or locally). */
export interface ExecStreamRequest {
  /** Program and its arguments; argv[0] is looked up on PATH when it has no slash. */
  readonly argv: readonly string[];
  /** Longest line accepted on either stream, characters (default 64 Ki); a longer one ends the stream (exec_output_limit). */
  readonly maxLineLength?: number;
  /** Each complete stdout line as it arrives, without its line ending (\n or \r\n). */
  readonly onStdout: (line: string) => void;
  /** Each complete stderr line. */
  readonly onStderr: (line: string) => void;
}

export interface ExecStreamEnd {
  /** Exit code, or null when the child ended by a signal or never started. */
  readonly code: number | null;
  readonly signal: string | null;
  /** Why the stream ended other than by the child's own exit: not found, spawn failure, a line over the limit, kill(). */
  readonly error?: ExecError;
}

export interface ExecStreamHandle {
  /** Settles exactly once, never rejects. */
  readonly ended: Promise<ExecStreamEnd>;
  /** SIGKILL to the whole process group; `ended` settles at once with a `cancelled` error carrying `reason`. Idempotent. */
  kill(reason: string): void;
}

export type ExecStream = (req: ExecStreamRequest) => ExecStreamHandle;

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
    const began = clock.monotonic();
    const max = req.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const started = spawnGroup(spawn, clock, stats, file, args);
    if (started instanceof ExecError) {
      reject(started);
      return;
    }
    const child = started;
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
      killGroup(child, stats);
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
    child.once('error', (err: NodeJS.ErrnoException) => finish(() => reject(spawnError(file, err))));
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

const DEFAULT_MAX_LINE = 64 * 1024;

/**
 * Builds an ExecStream on top of `spawn`: the child runs in its own process group; its output is
 * split into lines (UTF-8 decoded across chunk boundaries) and handed over as it comes. A last
 * line without a line ending is delivered when the child exits.
 */
export function createExecStream(spawn: SpawnFn, clock: Clock, stats: ExecStats = { runs: 0, timeouts: 0, unreaped: 0, maxSpawnMs: 0 }): ExecStream {
  return (req) => {
    let settle!: (e: ExecStreamEnd) => void;
    const ended = new Promise<ExecStreamEnd>((resolve) => (settle = resolve));
    const [file, ...args] = req.argv;
    if (file === undefined || file === '') {
      settle({ code: null, signal: null, error: new ExecError('exec_spawn_failed', 'empty command') });
      return { ended, kill: () => undefined };
    }
    const child = spawnGroup(spawn, clock, stats, file, args);
    if (child instanceof ExecError) {
      settle({ code: null, signal: null, error: child });
      return { ended, kill: () => undefined };
    }
    let done = false;
    const end = (e: ExecStreamEnd): void => {
      if (done) return;
      done = true;
      settle(e);
    };
    const kill = (error: ExecError): void => {
      end({ code: null, signal: 'SIGKILL', error });
      killGroup(child, stats);
    };
    const max = req.maxLineLength ?? DEFAULT_MAX_LINE;
    const out = new LineSplitter(max, (l) => !done && req.onStdout(l), (n) => kill(overlong(file, 'stdout', n)));
    const err = new LineSplitter(max, (l) => !done && req.onStderr(l), (n) => kill(overlong(file, 'stderr', n)));
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.once('error', (e: NodeJS.ErrnoException) => end({ code: null, signal: null, error: spawnError(file, e) }));
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
      out.end();
      err.end();
      end({ code, signal });
    });
    return { ended, kill: (reason) => kill(new ExecError('cancelled', `${file}: ${reason} (killed)`)) };
  };
}

function overlong(file: string, stream: string, max: number): ExecError {
  return new ExecError('exec_output_limit', `${file}: a ${stream} line longer than ${max} characters (killed)`);
}

/**
 * Splits a byte stream into lines: UTF-8 decoded across chunk boundaries, \n or \r\n endings
 * removed, a last line without an ending delivered at end(). A line longer than `max`
 * characters stops it: `tooLong` is called once and nothing more is delivered.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private broken = false;

  constructor(
    private readonly max: number,
    private readonly line: (l: string) => void,
    private readonly tooLong: (max: number) => void,
  ) {}

  push(d: Buffer): void {
    this.take(this.decoder.write(d), false);
  }

  end(): void {
    this.take(this.decoder.end(), true);
  }

  private take(text: string, final: boolean): void {
    if (this.broken) return;
    this.partial += text;
    let nl: number;
    while ((nl = this.partial.indexOf('\n')) !== -1) {
      const l = this.partial.slice(0, nl);
      this.partial = this.partial.slice(nl + 1);
      const body = l.endsWith('\r') ? l.slice(0, -1) : l;
      if (body.length > this.max) return this.stop();
      this.line(body);
    }
    if (this.partial.length > this.max + 1) return this.stop(); // + 1: a \r waiting for its \n
    if (final && this.partial !== '') {
      const last = this.partial;
      this.partial = '';
      this.line(last);
    }
  }

  private stop(): void {
    this.broken = true;
    this.partial = '';
    this.tooLong(this.max);
  }
}

/** Starts `file` in a process group of its own (detached), so a kill reaches what it started too. */
function spawnGroup(spawn: SpawnFn, clock: Clock, stats: ExecStats, file: string, args: readonly string[]): ChildProcess | ExecError {
  stats.runs++;
  const began = clock.monotonic();
  try {
    return spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, windowsHide: true });
  } catch (err) {
    return new ExecError('exec_spawn_failed', `${file}: ${(err as Error).message}`, { cause: err });
  } finally {
    stats.maxSpawnMs = Math.max(stats.maxSpawnMs, clock.monotonic() - began);
  }
}

/** The error of a child that could not be started (the 'error' event before any 'exit'). */
function spawnError(file: string, err: NodeJS.ErrnoException): ExecError {
  return err.code === 'ENOENT'
    ? new ExecError('exec_not_found', `${file}: command not found`, { cause: err })
    : new ExecError('exec_spawn_failed', `${file}: ${err.message}`, { cause: err });
}

/** SIGKILL to the child's whole group, counted as unreaped until it has exited. */
function killGroup(child: ChildProcess, stats: ExecStats): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  stats.unreaped++;
  child.once('exit', () => stats.unreaped--);
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
