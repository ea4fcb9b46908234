// The miner driver: one per miner. Detects the firmware (unless configured), reads through the
// firmware module on the miner's link, estimates power where the firmware reports none, and
// exposes one PowerActuator. Polled on its own schedule (`schedule`), never in the PDU cycle.

import type { Sample } from '../../core/reading.js';
import type { SeriesSpec } from '../../core/series.js';
import { Secret } from '../../config/secret.js';
import type { Clock } from '../../runtime/clock.js';
import type { ActuatingDriver, DeviceInfo, PollResult, PollSchedule, PowerActuator } from '../types.js';
import { MinerActuator } from './actuator.js';
import type { FirmwareName, MinerData } from './data.js';
import { detectFirmware, type Detection } from './detect.js';
import { asMinerError, type MinerError } from './errors.js';
import { FIRMWARE_MODULES } from './firmware/index.js';
import type { ControlCaps, Credentials, FirmwareModule, FirmwareSession, SourceFailure } from './firmware/types.js';
import type { MinerIO, MinerLink } from './link.js';
import { findModel } from './models.js';
import { minerPoints, minerSamples } from './samples.js';

export interface MinerDriverOptions {
  readonly id: string;
  readonly firmware: FirmwareName | 'auto';
  /** Configured credentials; a missing user takes the firmware's default account name. */
  readonly credentials?: { readonly user?: string; readonly password: Secret };
  readonly boards: number;
  readonly fans: number;
  readonly v3Port: number;
  /** Nameplate draw from load.nominalW, for estimates when the model is unknown. */
  readonly nominalW?: number;
  readonly powerTargetW?: { readonly minW: number; readonly maxW: number };
  readonly schedule: PollSchedule;
  /** How long a reading stays current (at least one poll interval). */
  readonly staleAfterMs: number;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface ActiveFirmware {
  readonly module: FirmwareModule;
  readonly session: FirmwareSession;
  readonly detection: Detection;
}

/**
 * Polls in a row in which the miner answered but nothing it said fitted the firmware (invalid
 * command, unparseable replies, 404s) before an auto-detected firmware is detected again — it
 * was re-flashed. A miner that is down or restarting proves nothing and keeps its firmware.
 */
const REDETECT_AFTER = 3;
const WRONG_FIRMWARE: ReadonlySet<string> = new Set(['miner_bad_reply', 'miner_status', 'miner_http', 'miner_access_denied']);

export class MinerDriver implements ActuatingDriver {
  readonly info: DeviceInfo;
  readonly series: readonly SeriesSpec[];
  readonly schedule: PollSchedule;
  private readonly points: ReturnType<typeof minerPoints>;
  private readonly actuator: MinerActuator;
  private fw: ActiveFirmware | undefined;
  private misfitPolls = 0;
  private readonly stats = { polls: 0, failedPolls: 0, detections: 0, redetections: 0 };
  /** The latest read, for the actuator, diag and events. */
  last: { readonly data: MinerData; readonly failures: readonly SourceFailure[]; readonly timeMs: number } | undefined;

  constructor(readonly opts: MinerDriverOptions, readonly link: MinerLink, private readonly clock: Clock) {
    this.points = minerPoints(opts.id, opts.boards, opts.fans, opts.staleAfterMs);
    this.series = this.points.map((p) => p.spec);
    this.schedule = opts.schedule;
    this.info = { id: opts.id, kind: 'miner', model: opts.firmware, address: link.address, labels: opts.labels ?? {} };
    this.actuator = new MinerActuator(this, clock);
  }

  get firmware(): ActiveFirmware | undefined {
    return this.fw;
  }

  /** The firmware session, detecting it first if needed. Runs inside a link operation. */
  async active(io: MinerIO): Promise<ActiveFirmware> {
    if (this.fw) return this.fw;
    const detection: Detection = this.opts.firmware === 'auto'
      ? await detectFirmware(io, { v3Port: this.opts.v3Port })
      : { firmware: this.opts.firmware, evidence: 'configured' };
    this.stats.detections++;
    const module = FIRMWARE_MODULES[detection.firmware];
    this.fw = { module, session: module.open({ credentials: this.credentialsFor(module) }), detection };
    return this.fw;
  }

  private credentialsFor(m: FirmwareModule): Credentials | undefined {
    const c = this.opts.credentials;
    if (c) return { user: c.user ?? m.defaultCredentials?.user ?? 'admin', password: c.password };
    return m.defaultCredentials ? { user: m.defaultCredentials.user, password: new Secret(m.defaultCredentials.password) } : undefined;
  }

  async poll(signal: AbortSignal): Promise<PollResult> {
    this.stats.polls++;
    try {
      const r = await this.link.run('telemetry', signal, async (io) => (await this.active(io)).session.read(io));
      const t = this.clock.now();
      const data = this.estimate(r.data);
      this.last = { data, failures: r.failures, timeMs: t };
      const failed = r.failures.length;
      const misfit = failed >= r.requests && r.failures.every((f) => WRONG_FIRMWARE.has(f.error.code));
      this.misfitPolls = misfit ? this.misfitPolls + 1 : 0;
      this.maybeRedetect();
      if (failed) this.stats.failedPolls++;
      const first = r.failures[0];
      return { samples: minerSamples(this.points, t, data, r.failures), failed, requests: r.requests, ...(first ? { error: `${first.source}: ${first.error.message}` } : {}) };
    } catch (err) {
      const e = asMinerError(err);
      this.stats.failedPolls++;
      return this.down(e);
    }
  }

  private down(e: MinerError): PollResult {
    const samples: Sample[] = minerSamples(this.points, this.clock.now(), undefined, [], e);
    return { samples, failed: 1, requests: 1, error: e.message };
  }

  private maybeRedetect(): void {
    if (this.opts.firmware === 'auto' && this.misfitPolls >= REDETECT_AFTER) {
      this.fw = undefined;
      this.misfitPolls = 0;
      this.stats.redetections++;
    }
  }

  /**
   * Fills power where the firmware reports none (stock Antminer): nameplate W × hashrate /
   * nameplate TH/s from the model table, or load.nominalW while hashing. Marked 'estimated'.
   */
  estimate(d: MinerData): MinerData {
    if (d.powerW !== null) return d;
    const model = findModel(d.model);
    let w: number | null = null;
    if (model && d.hashrateTHs !== null && d.state !== 'sleeping' && d.state !== 'paused') w = model.nominalW * Math.min(1.2, d.hashrateTHs / model.nominalTHs);
    else if (this.opts.nominalW !== undefined && d.state === 'mining') w = this.opts.nominalW;
    if (w === null) return d;
    const efficiencyJTH = d.hashrateTHs !== null && d.hashrateTHs > 0.01 ? w / d.hashrateTHs : d.efficiencyJTH;
    return { ...d, powerW: Math.round(w), powerSource: 'estimated', efficiencyJTH };
  }

  /** What the actuator may do now: the firmware's capabilities, narrowed by config and model. */
  capabilities(): ControlCaps | undefined {
    const fw = this.fw;
    if (!fw) return undefined;
    const caps = fw.session.capabilities(this.last?.data);
    if (fw.module.settle.setPowerMs === undefined) return caps;
    const model = findModel(this.last?.data.model ?? null);
    const range = intersect(caps.setPower ?? model?.powerTargetW, this.opts.powerTargetW) ?? this.opts.powerTargetW;
    return { ...caps, ...(range ? { setPower: range } : {}) };
  }

  actuators(): readonly PowerActuator[] {
    return [this.actuator];
  }

  counters(): Readonly<Record<string, number>> {
    const repairs = Object.fromEntries([...this.link.repairSteps].map(([k, v]) => [`repair.${k}`, v]));
    return { ...this.link.counters, ...this.stats, ...this.actuator.stats, ...repairs };
  }

  async close(): Promise<void> {
    // Connections are per request (cgminer closes after each reply): nothing is held open.
  }
}

function intersect(a: { minW: number; maxW: number } | undefined, b: { minW: number; maxW: number } | undefined): { minW: number; maxW: number } | undefined {
  if (!a) return b;
  if (!b) return a;
  const minW = Math.max(a.minW, b.minW);
  const maxW = Math.min(a.maxW, b.maxW);
  return minW <= maxW ? { minW, maxW } : undefined;
}
