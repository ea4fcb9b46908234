// Sends the controller's actions to the drivers' actuators.
//
//   - One command in flight per actuator. A newer action for a busy actuator waits, replacing
//     any older waiting one (the latest decision wins; the replaced one gets no outcome). A shed
//     for an actuator busy with a restore aborts the restore (an actuator may spend its settle
//     time reading back; relief must not wait for that).
//   - Sheds go first, then restores; within each, the fastest actuators (expected settle time)
//     first, so relief starts where it comes soonest.
//   - A host-level power target on a GPU host is split across its GPUs in proportion to their
//     ranges, after the host's own draw (LoadBinding.baseW).
//   - Outlets switched on are spaced by the inrush guard per PDU.
//   - A command is aborted after commandTimeoutMs plus the actuator's settle time (actuators may
//     read back until their settle time has passed). Every action that ran gets one outcome
//     (ok, detail), which the controller sees with the next step's observations.
// Timing: `dispatch` calls the first apply() synchronously, so the poll → command latency is
// the time to observe, step and dispatch (recorded for metrics and the bench).

import type { ActionOutcome, ControlAction } from '../core/control/types.js';
import { settleFor, type ActuationResult, type ActuatorCommand, type PowerActuator } from '../drivers/types.js';
import type { Clock } from '../runtime/clock.js';
import type { Logger } from '../runtime/log.js';
import type { LoadBinding } from './loads.js';

interface Send {
  readonly actuator: PowerActuator;
  readonly cmds: readonly ActuatorCommand[];
}

interface Job {
  readonly action: ControlAction;
  readonly sends: readonly Send[];
  readonly settleMs: number;
  readonly pdu: string | null;
  left: number;
  readonly details: string[];
  ok: boolean;
  /** Aborted for a shed: no outcome (the controller already moved on). */
  superseded: boolean;
}

export interface RunnerOptions {
  readonly clock: Clock;
  readonly log: Logger;
  readonly inrushGuardMs: number;
  readonly commandTimeoutMs: number;
}

export interface RunnerStats {
  actions: number;
  commands: number;
  failed: number;
  superseded: number;
  unroutable: number;
}

const LATENCY_WINDOW = 1024;

/** How a controller action becomes actuator commands for one load, or why it cannot. */
export function route(b: LoadBinding, a: ControlAction): Send[] | string {
  const settable = b.miner.filter((x) => x.capabilities.setPower).sort((x, y) => settleFor(x, 'set_power') - settleFor(y, 'set_power'));
  const pausable = b.miner.filter((x) => x.capabilities.pause).sort((x, y) => settleFor(x, 'pause') - settleFor(y, 'pause'));
  switch (a.type) {
    case 'outlet_off':
    case 'outlet_on':
      return b.outlet ? [{ actuator: b.outlet, cmds: [{ type: a.type }] }] : 'no outlet actuator';
    case 'pause':
      return pausable[0] ? [{ actuator: pausable[0], cmds: [{ type: 'pause' }] }] : 'no actuator can pause it';
    case 'resume': {
      const p = pausable[0];
      if (!p) return 'no actuator can resume it';
      const target = a.watts !== undefined && p.capabilities.setPower ? [{ type: 'set_power' as const, watts: a.watts }] : [];
      return [{ actuator: p, cmds: [...target, { type: 'resume' }] }];
    }
    case 'restore': {
      const own = [...b.gpu, ...(settable[0] ? [settable[0]] : pausable.slice(0, 1))];
      return own.length ? own.map((actuator) => ({ actuator, cmds: [{ type: 'restore' }] })) : 'no actuator to restore';
    }
    case 'set_power':
      if (b.gpu.length) return splitGpu(b, a.watts ?? 0);
      return settable[0] ? [{ actuator: settable[0], cmds: [{ type: 'set_power', watts: a.watts ?? 0 }] }] : 'no actuator sets its power';
  }
}

function splitGpu(b: LoadBinding, hostW: number): Send[] {
  const gpus = b.gpu.filter((g) => g.capabilities.setPower);
  const range = (g: PowerActuator): { minW: number; maxW: number } => g.capabilities.setPower as { minW: number; maxW: number };
  const maxSum = gpus.reduce((x, g) => x + range(g).maxW, 0);
  const share = Math.max(0, hostW - b.baseW) / Math.max(1, maxSum);
  return gpus.map((g) => ({ actuator: g, cmds: [{ type: 'set_power', watts: Math.max(range(g).minW, Math.min(range(g).maxW, range(g).maxW * share)) }] }));
}

export class ActuationRunner {
  readonly stats: RunnerStats = { actions: 0, commands: 0, failed: 0, superseded: 0, unroutable: 0 };
  /** Actuators with a command in flight, and how to abort it. */
  private readonly busy = new Map<string, { job: Job; abort: AbortController }>();
  private readonly waiting = new Map<string, { job: Job; send: Send }>();
  private readonly nextOutletOn = new Map<string, number>();
  private outcomes: ActionOutcome[] = [];
  private readonly latencies: number[] = [];

  private byId = new Map<string, LoadBinding>();
  private boundFrom: readonly LoadBinding[] | undefined;

  /** `bindings` is read at every dispatch: the loop may describe the loads again. */
  constructor(private readonly bindings: () => readonly LoadBinding[], private readonly o: RunnerOptions) {}

  private binding(load: string): LoadBinding | undefined {
    const now = this.bindings();
    if (now !== this.boundFrom) {
      this.boundFrom = now;
      this.byId = new Map(now.map((b) => [b.spec.id, b]));
    }
    return this.byId.get(load);
  }

  /** Starts the actions. `polledAt` (monotonic ms) is when the poll that led to them completed. */
  dispatch(actions: readonly ControlAction[], polledAt: number): void {
    const jobs: Job[] = [];
    for (const a of actions) {
      const b = this.binding(a.load);
      const sends = b ? route(b, a) : 'unknown load';
      this.stats.actions++;
      if (typeof sends === 'string' || !b) {
        this.stats.unroutable++;
        this.outcomes.push({ load: a.load, type: a.type, ok: false, detail: typeof sends === 'string' ? sends : 'unknown load' });
        continue;
      }
      jobs.push({ action: a, sends, settleMs: Math.max(...sends.flatMap((s) => s.cmds.map((c) => settleFor(s.actuator, c.type)))), pdu: b.spec.pdu, left: sends.length, details: [], ok: true, superseded: false });
    }
    jobs.sort((x, y) => (x.action.urgency === y.action.urgency ? x.settleMs - y.settleMs : x.action.urgency === 'shed' ? -1 : 1));
    let first = true;
    for (const job of jobs) {
      for (const send of job.sends) {
        if (first) this.recordLatency(this.o.clock.monotonic() - polledAt);
        first = false;
        this.submit(job, send);
      }
    }
  }

  /** Outcomes since the last call (fed to the controller's next step). */
  takeOutcomes(): ActionOutcome[] {
    const out = this.outcomes;
    this.outcomes = [];
    return out;
  }

  /** Poll → first actuator call, ms: the recent samples (newest last). */
  latencyMs(): readonly number[] {
    return this.latencies;
  }

  get inFlight(): number {
    return this.busy.size;
  }

  private recordLatency(ms: number): void {
    this.latencies.push(ms);
    if (this.latencies.length > LATENCY_WINDOW) this.latencies.shift();
  }

  private submit(job: Job, send: Send): void {
    const id = send.actuator.id;
    const current = this.busy.get(id);
    if (current) {
      if (this.waiting.has(id)) this.stats.superseded++;
      this.waiting.set(id, { job, send });
      if (job.action.urgency === 'shed' && current.job.action.urgency === 'restore') {
        current.job.superseded = true;
        this.stats.superseded++;
        current.abort.abort(new Error('superseded by a shed'));
      }
      return;
    }
    const guard = send.cmds[0]?.type === 'outlet_on' && job.pdu !== null ? this.inrushDelay(job.pdu) : 0;
    const abort = new AbortController();
    this.busy.set(id, { job, abort });
    if (guard > 0) this.o.clock.setTimeout(() => void this.run(job, send, abort.signal), guard);
    else void this.run(job, send, abort.signal);
  }

  private inrushDelay(pdu: string): number {
    const now = this.o.clock.monotonic();
    const at = Math.max(now, this.nextOutletOn.get(pdu) ?? now);
    this.nextOutletOn.set(pdu, at + this.o.inrushGuardMs);
    return at - now;
  }

  private async run(job: Job, send: Send, preempt: AbortSignal): Promise<void> {
    const id = send.actuator.id;
    for (const cmd of send.cmds) {
      if (preempt.aborted) break;
      const r = await this.applyOne(send.actuator, cmd, preempt);
      this.stats.commands++;
      if (!r.ok) {
        job.ok = false;
        job.details.push(`${id}: ${r.detail}`);
        break;
      }
    }
    this.busy.delete(id);
    if (--job.left === 0) this.finish(job);
    const next = this.waiting.get(id);
    if (next) {
      this.waiting.delete(id);
      this.submit(next.job, next.send);
    }
  }

  private async applyOne(a: PowerActuator, cmd: ActuatorCommand, preempt: AbortSignal): Promise<ActuationResult> {
    const limit = this.o.commandTimeoutMs + settleFor(a, cmd.type);
    const ac = new AbortController();
    const timer = this.o.clock.setTimeout(() => ac.abort(new Error(`no answer within ${limit} ms`)), limit);
    const onPreempt = (): void => ac.abort(preempt.reason);
    preempt.addEventListener('abort', onPreempt, { once: true });
    try {
      return await a.apply(cmd, ac.signal);
    } catch (err) {
      // The contract says apply() never rejects; a driver that does still loses nothing here.
      return { ok: false, verified: false, detail: `apply threw: ${(err as Error).message}` };
    } finally {
      timer.cancel();
      preempt.removeEventListener('abort', onPreempt);
    }
  }

  private finish(job: Job): void {
    if (job.superseded) return;
    if (!job.ok) {
      this.stats.failed++;
      this.o.log.warn('actuation failed', { load: job.action.load, action: job.action.type, detail: job.details.join('; ') });
    }
    this.outcomes.push({ load: job.action.load, type: job.action.type, ok: job.ok, detail: job.ok ? 'done' : job.details.join('; ') });
  }
}
