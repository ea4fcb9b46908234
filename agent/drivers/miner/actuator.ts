// A miner as a PowerActuator: set power target, pause, resume, restore. Every command is sent
// at control priority (it overtakes queued telemetry reads on the miner's link) and verified by
// reading the state back until it matches, the command's settle window passes, or the caller's
// deadline aborts. Outcomes:
//   ok + verified       the read-back matches
//   ok, not verified    sent (or probably sent: the daemon restarts to apply it) and not yet
//                       confirmed when the deadline came: watch miner.mining / miner.power_target
//   not ok              refused, unreachable, unsupported, or read back different after settling
// Credentials never appear in a result or a log line (they are Secrets).

import type { Clock } from '../../runtime/clock.js';
import type { ActuationResult, ActuatorCapabilities, ActuatorCommand, PowerActuator } from '../types.js';
import { asMinerError } from './errors.js';
import type { MinerDriver } from './driver.js';
import { isMining } from './data.js';
import type { ControlCommand, ControlState, Settle } from './firmware/types.js';

/** Until the firmware is known: the slowest figures of any supported firmware. */
const UNKNOWN_SETTLE: Settle = { pauseMs: 60_000, resumeMs: 120_000, setPowerMs: 120_000 };
const VERIFY_EVERY_MS = 1000;
/** Keep reading back this long past the expected settle time before calling it not applied. */
const VERIFY_GRACE_MS = 15_000;

export class MinerActuator implements PowerActuator {
  readonly kind = 'miner' as const;
  readonly stats = { commands: 0, commandsFailed: 0, commandsVerified: 0 };
  /** State before the agent's first change, for 'restore'. */
  private original: ControlState | undefined;

  constructor(private readonly driver: MinerDriver, private readonly clock: Clock) {}

  get id(): string {
    return this.driver.info.id;
  }

  get device(): string {
    return this.driver.info.id;
  }

  get capabilities(): ActuatorCapabilities {
    const c = this.driver.capabilities();
    if (!c) return { pause: true }; // every supported firmware can pause; the rest is known after detection
    return { pause: c.pause && c.resume, ...(c.setPower ? { setPower: c.setPower } : {}) };
  }

  private get settle(): Settle {
    return this.driver.firmware?.module.settle ?? UNKNOWN_SETTLE;
  }

  get settleMs(): number {
    const s = this.settle;
    return Math.max(s.pauseMs, s.resumeMs, s.setPowerMs ?? 0);
  }

  get settleByCommand(): Partial<Record<ActuatorCommand['type'], number>> {
    const s = this.settle;
    return { pause: s.pauseMs, resume: s.resumeMs, restore: Math.max(s.resumeMs, s.setPowerMs ?? 0), ...(s.setPowerMs !== undefined ? { set_power: s.setPowerMs } : {}) };
  }

  async apply(cmd: ActuatorCommand, signal: AbortSignal): Promise<ActuationResult> {
    this.stats.commands++;
    const r = await this.run(cmd, signal);
    if (!r.ok) this.stats.commandsFailed++;
    if (r.verified) this.stats.commandsVerified++;
    return r;
  }

  private async run(cmd: ActuatorCommand, signal: AbortSignal): Promise<ActuationResult> {
    switch (cmd.type) {
      case 'outlet_off':
      case 'outlet_on':
        return { ok: false, verified: false, detail: `a miner has no outlet relay: use the PDU outlet actuator for ${this.id}` };
      case 'restore':
        return this.restore(signal);
      default:
        return this.command(cmd, signal);
    }
  }

  private async command(cmd: ControlCommand, signal: AbortSignal): Promise<ActuationResult> {
    try {
      const fw = await this.driver.link.run('control', signal, (io) => this.driver.active(io));
      const caps = this.driver.capabilities();
      let c = cmd;
      if (c.type === 'set_power') {
        if (!caps?.setPower) return { ok: false, verified: false, detail: `${fw.module.label} on ${this.id}: no watt target (use pause/resume)` };
        c = { type: 'set_power', watts: Math.min(caps.setPower.maxW, Math.max(caps.setPower.minW, c.watts)) };
      }
      this.rememberOriginal();
      const out = await this.driver.link.run('control', signal, (io) => fw.session.control(io, c));
      const settleMs = c.type === 'set_power' ? fw.module.settle.setPowerMs ?? UNKNOWN_SETTLE.pauseMs : c.type === 'pause' ? fw.module.settle.pauseMs : fw.module.settle.resumeMs;
      const want = c.type === 'set_power' ? { targetW: out.expectedTargetW ?? c.watts } : { mining: c.type === 'resume' };
      return await this.verify(want, out.detail, settleMs, signal);
    } catch (err) {
      const e = asMinerError(err);
      return { ok: false, verified: false, detail: `${cmd.type} on ${this.id} failed: ${e.message}` };
    }
  }

  private rememberOriginal(): void {
    const d = this.driver.last?.data;
    if (this.original || !d) return;
    this.original = { mining: isMining(d), targetW: d.powerTargetW };
  }

  /** Reads the state back until it matches `want`, or the settle window (plus grace) or the signal ends. */
  private async verify(want: { mining?: boolean; targetW?: number }, sent: string, settleMs: number, signal: AbortSignal): Promise<ActuationResult> {
    const end = this.clock.monotonic() + settleMs + VERIFY_GRACE_MS;
    let seen: ControlState | undefined;
    let lastError = '';
    for (;;) {
      try {
        seen = await this.driver.link.run('control', signal, async (io) => (await this.driver.active(io)).session.readState(io));
        if (matches(want, seen)) return { ok: true, verified: true, detail: `${sent}; read back ${describe(seen)}`, observedW: seen.targetW };
      } catch (err) {
        const e = asMinerError(err);
        if (e.code === 'cancelled') break;
        lastError = e.message; // the daemon may be restarting to apply the command: keep reading
      }
      if (signal.aborted || this.clock.monotonic() + VERIFY_EVERY_MS > end) break;
      if (!(await pause(this.clock, VERIFY_EVERY_MS, signal))) break;
    }
    const observed = seen ? describe(seen) : `nothing${lastError ? ` (${lastError})` : ''}`;
    if (this.clock.monotonic() >= end - VERIFY_EVERY_MS && seen && !matches(want, seen)) {
      return { ok: false, verified: false, detail: `${sent}; not applied: read back ${observed} after ${Math.round(settleMs / 1000)} s`, observedW: seen.targetW };
    }
    return { ok: true, verified: false, detail: `${sent}; not yet confirmed (read back ${observed}; expect ~${Math.round(settleMs / 1000)} s)`, ...(seen ? { observedW: seen.targetW } : {}) };
  }

  private async restore(signal: AbortSignal): Promise<ActuationResult> {
    const o = this.original;
    if (!o) return { ok: true, verified: true, detail: `${this.id}: nothing to restore (rackpilot has not changed it)` };
    const steps: ActuationResult[] = [];
    const now = this.driver.last?.data;
    if (o.targetW !== null && this.driver.capabilities()?.setPower && now?.powerTargetW !== o.targetW) steps.push(await this.command({ type: 'set_power', watts: o.targetW }, signal));
    if (o.mining === true && (now === undefined || isMining(now) !== true)) steps.push(await this.command({ type: 'resume' }, signal));
    if (o.mining === false && now !== undefined && isMining(now) === true) steps.push(await this.command({ type: 'pause' }, signal));
    if (steps.every((s) => s.ok)) this.original = undefined;
    if (!steps.length) return { ok: true, verified: true, detail: `${this.id}: already as before rackpilot changed it` };
    return { ok: steps.every((s) => s.ok), verified: steps.every((s) => s.verified), detail: `restore: ${steps.map((s) => s.detail).join(' | ')}` };
  }
}

function matches(want: { mining?: boolean; targetW?: number }, s: ControlState): boolean {
  if (want.mining !== undefined) return s.mining === want.mining;
  if (want.targetW !== undefined) return s.targetW !== null && Math.abs(s.targetW - want.targetW) <= Math.max(2, want.targetW * 0.01);
  return false;
}

function describe(s: ControlState): string {
  const m = s.mining === null ? 'state unknown' : s.mining ? 'mining' : 'not mining';
  return `${m}, target ${s.targetW === null ? 'none' : `${s.targetW} W`}`;
}

/** Waits `ms`; false when the signal aborts first. */
function pause(clock: Clock, ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const t = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      t.cancel();
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
