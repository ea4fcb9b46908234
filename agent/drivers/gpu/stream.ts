// The long-lived nvidia-smi of one GPU server (stream mode, the default): instead of a fork per
// sample (and, over ssh, a handshake per sample), one `nvidia-smi --query-gpu=… --format=csv,
// noheader,nounits -lms <intervalMs>` child per server, read line by line as it prints
// (shared/reference/gpu-and-host.md §1.5). Its rows are framed into samples by blocks.ts.
//
// Every start (and every restart) first runs the one-shot query (NvidiaSmiReader: header check,
// field spellings, exit codes); its result is the first reading, and the stream then asks for
// exactly the columns it learned, checked against the header it printed.
//
// Supervision: the stream is killed (its whole process group) and restarted, after a capped
// backoff with jitter, when the child exits, when no sample arrives for 2 intervals plus the
// call timeout (hung, or a GPU that wedged NVML), or when it writes garbage. Each failure is
// handed over once as a failed read, so every series reads unknown with the reason (never 0);
// until the next sample the series go stale on their own (maxAgeMs).

import type { BadQuality } from '../../core/reading.js';
import { Backoff } from '../../runtime/backoff.js';
import type { Clock, TimerHandle } from '../../runtime/clock.js';
import type { ExecStreamEnd, ExecStreamHandle } from '../../runtime/exec.js';
import type { Logger } from '../../runtime/log.js';
import { BlockFramer, type Block } from './blocks.js';
import { execFailure, NVIDIA_SMI_EXIT, type GpuRead, type NvidiaSmiReader } from './reader.js';
import type { NvidiaSmiRunner } from './runner.js';

/** A reading handed over by the stream, and the monotonic time its values were measured at the earliest. */
export interface StreamRead {
  readonly read: GpuRead;
  readonly startedMs: number;
}

export interface NvidiaSmiStreamOptions {
  readonly runner: NvidiaSmiRunner;
  /** The one-shot reader of the same fields (the check before every start). */
  readonly reader: NvidiaSmiReader;
  readonly intervalMs: number;
  readonly clock: Clock;
  readonly log: Logger;
  /** Every reading: the check's, each sample, each failure. Called synchronously, never concurrently. */
  readonly onRead: (r: StreamRead) => void;
  /** Jitter source of the restart backoff (default Math.random). */
  readonly random?: () => number;
}

type OkRead = Extract<GpuRead, { ok: true }>;
type Failure = { quality: BadQuality; code: string; message: string };

/** The longest row nvidia-smi prints is a few hundred characters; anything this long is not a row. */
const MAX_LINE = 4096;
const BACKOFF_CAP_MS = 30_000;
/** A stream that delivered this many samples counts as healthy: the next failure backs off from the start. */
const HEALTHY_BLOCKS = 3;
/** Lines of nvidia-smi's own messages kept for the reason of a failure. */
const TAIL = 8;

export class NvidiaSmiStream {
  readonly stats = { starts: 0, restarts: 0, exits: 0, silences: 0, garbage: 0, blocks: 0, strayLines: 0 };
  /** No sample for this long: the stream is hung. */
  readonly silenceMs: number;
  /** No line for this long closes a sample that is short of rows. */
  readonly gapMs: number;
  private state: 'idle' | 'checking' | 'streaming' | 'waiting' | 'closed' = 'idle';
  private child: ExecStreamHandle | undefined;
  private framer: BlockFramer | undefined;
  private query: OkRead | undefined;
  /** Bumped whenever a child is let go, so its late lines and end are ignored. */
  private generation = 0;
  private blocksThisRun = 0;
  private tail: string[] = [];
  private readonly timers: { silence?: TimerHandle; gap?: TimerHandle; retry?: TimerHandle } = {};
  private readonly ctl = new AbortController();
  private readonly backoff: Backoff;
  private checking: Promise<void> | undefined;

  constructor(private readonly o: NvidiaSmiStreamOptions) {
    this.silenceMs = 2 * o.intervalMs + o.runner.access.timeoutMs;
    this.gapMs = o.intervalMs / 2;
    this.backoff = new Backoff({ initialMs: o.intervalMs, maxMs: Math.max(o.intervalMs, BACKOFF_CAP_MS), minMs: Math.min(o.intervalMs, 1000) }, o.random);
  }

  /** True while a child is streaming. */
  get streaming(): boolean {
    return this.state === 'streaming';
  }

  /** Starts the stream, check first. Idempotent; never throws. */
  start(): void {
    if (this.state === 'idle') this.check();
  }

  /** Kills the child, stops restarting, and waits for a check in flight. Idempotent. */
  async close(): Promise<void> {
    this.state = 'closed';
    this.ctl.abort(new Error('driver closing'));
    this.timers.retry?.cancel();
    this.letGo('driver closing');
    await this.checking;
  }

  private check(): void {
    this.state = 'checking';
    const startedMs = this.o.clock.monotonic();
    this.checking = this.o.reader.read(this.ctl.signal)
      .catch((err: unknown): GpuRead => ({ ok: false, timeMs: this.o.clock.now(), ...execFailure(err) }))
      .then((read) => {
        this.checking = undefined;
        if (this.state === 'closed') return;
        this.o.onRead({ read, startedMs });
        if (read.ok) this.spawn(read);
        else this.retryLater();
      });
  }

  private spawn(check: OkRead): void {
    this.state = 'streaming';
    this.stats.starts++;
    this.query = check;
    this.blocksThisRun = 0;
    this.tail = [];
    const gen = ++this.generation;
    const framer = new BlockFramer({
      columns: check.columns, mismatches: check.mismatches, expectedRows: Math.max(1, check.rows.length), complete: (r) => this.o.reader.complete(r),
    });
    this.framer = framer;
    const args = [`--query-gpu=${check.columns.map((c) => c.spelling).join(',')}`, '--format=csv,noheader,nounits', '-lms', String(this.o.intervalMs)];
    const child = this.o.runner.stream(args, {
      maxLineLength: MAX_LINE,
      onStdout: (l) => {
        if (gen === this.generation) this.line(framer, l);
      },
      onStderr: (l) => {
        if (gen === this.generation) this.note(l);
      },
    });
    this.child = child;
    this.armSilence();
    void child.ended.then((end) => {
      if (gen === this.generation) this.ended(end);
    });
  }

  private line(framer: BlockFramer, l: string): void {
    const stray = framer.stats.strayLines;
    const events = framer.push(l, this.o.clock.monotonic(), this.o.clock.now());
    if (framer.stats.strayLines > stray) {
      this.stats.strayLines++;
      this.note(l);
    }
    for (const e of events) {
      if (e.kind === 'garbage') {
        this.stats.garbage++;
        this.fail({ quality: 'invalid', code: 'gpu_stream_garbage', message: `nvidia-smi stream: ${e.reason}` });
        return;
      }
      this.block(e.block);
    }
    this.timers.gap?.cancel();
    if (framer.pending) {
      this.timers.gap = this.o.clock.setTimeout(() => {
        const b = framer.flush();
        if (b) this.block(b);
      }, this.gapMs);
    }
  }

  private block(b: Block): void {
    const q = this.query as OkRead;
    this.stats.blocks++;
    if (++this.blocksThisRun === HEALTHY_BLOCKS) this.backoff.reset();
    this.armSilence();
    // The values were measured before the first row arrived; with less than an interval of
    // latency (a pipe, an ssh session), no earlier than one interval before.
    this.o.onRead({
      read: { ok: true, timeMs: b.timeMs, durationMs: 0, rows: b.rows, columns: q.columns, mismatches: q.mismatches, messages: b.messages },
      startedMs: b.atMs - this.o.intervalMs,
    });
  }

  private note(l: string): void {
    const t = l.trim();
    if (t === '') return;
    this.tail.push(t);
    if (this.tail.length > TAIL) this.tail.shift();
  }

  private ended(end: ExecStreamEnd): void {
    if (end.error?.code === 'exec_output_limit') {
      this.stats.garbage++;
      this.fail({ quality: 'invalid', code: 'gpu_stream_garbage', message: `nvidia-smi stream: ${end.error.message}` });
      return;
    }
    this.stats.exits++;
    this.fail(end.error ? execFailure(end.error) : exitFailure(end, this.tail));
  }

  private armSilence(): void {
    this.timers.silence?.cancel();
    this.timers.silence = this.o.clock.setTimeout(() => {
      this.stats.silences++;
      this.fail({ quality: 'timeout', code: 'gpu_stream_silent', message: `nvidia-smi stream printed no sample for ${this.silenceMs} ms (killed)` });
    }, this.silenceMs);
  }

  /** Lets the child go (process group killed), hands the failure over once, and restarts later. */
  private fail(f: Failure): void {
    if (this.state !== 'streaming') return;
    this.letGo(f.message);
    this.o.log.warn('nvidia-smi stream failed; restarting it after a check', { code: f.code, reason: f.message, restarts: this.stats.restarts });
    this.o.onRead({ read: { ok: false, timeMs: this.o.clock.now(), ...f }, startedMs: this.o.clock.monotonic() });
    this.retryLater();
  }

  private letGo(reason: string): void {
    this.generation++;
    this.child?.kill(reason);
    this.child = undefined;
    this.framer = undefined;
    this.timers.silence?.cancel();
    this.timers.gap?.cancel();
  }

  private retryLater(): void {
    if (this.state === 'closed') return;
    this.state = 'waiting';
    this.timers.retry = this.o.clock.setTimeout(() => {
      if (this.state !== 'waiting') return;
      this.stats.restarts++;
      this.check();
    }, this.backoff.next());
  }
}

/** A stream whose child exited on its own: the tool's first message, its exit status and what the code means. */
function exitFailure(end: ExecStreamEnd, tail: readonly string[]): Failure {
  const status = end.code === null ? `killed by ${end.signal ?? 'a signal'}` : `exit ${end.code}`;
  const meaning = end.code !== null ? NVIDIA_SMI_EXIT[end.code] : undefined;
  const first = tail[0];
  return {
    quality: end.code === 255 || end.code === null ? 'comm_error' : 'device_error',
    code: 'gpu_stream_exit',
    message: `nvidia-smi stream ended: ${first ? `${first} ` : ''}(${status})${meaning ? `: ${meaning}` : ''}`,
  };
}
