// The rack model: the latest reading of every series and the circuits they load. Pure: no I/O,
// no timers; time is an argument.

import { atTime, type Reading, type Sample } from './reading.js';
import { Q, seriesKey, type SeriesKey } from './series.js';

export interface CircuitSpec {
  /** e.g. "pdu-a.L1" */
  readonly id: string;
  readonly device: string;
  readonly phase: string;
  readonly breakerA: number;
  /** Fraction of the breaker rating allowed continuously (NEC 80 %). */
  readonly continuousFactor: number;
}

export interface CircuitView {
  readonly id: string;
  readonly current: Reading;
  readonly limitA: number;
  readonly breakerA: number;
  /** current / limit, or null when the current is unknown. */
  readonly utilisation: number | null;
}

export interface RackSummary {
  readonly powerW: number | null;
  /** Devices whose power is unknown at this time: the rack total is then a lower bound. */
  readonly unknownPowerDevices: readonly string[];
  readonly circuits: readonly CircuitView[];
}

export class RackState {
  private readonly latest = new Map<SeriesKey, Reading>();

  constructor(
    readonly circuits: readonly CircuitSpec[],
    /** Devices that report rack power at their inlet (PDUs, meters). */
    readonly powerDevices: readonly string[],
    /** A good value older than this is stale. */
    readonly maxAgeMs: number,
    /** Series with their own freshness (read on a slower interval than the cycle). */
    private readonly maxAgeOf: ReadonlyMap<SeriesKey, number> = new Map(),
  ) {}

  /**
   * Records samples. A bad reading does not erase the time of the last good one for freshness,
   * but it does replace the value: after a failed poll the value is unknown, not the old one.
   */
  observe(samples: Iterable<Sample>): void {
    for (const s of samples) {
      const prev = this.latest.get(s.key);
      if (prev && prev.timeMs > s.reading.timeMs) continue; // never go back in time
      this.latest.set(s.key, s.reading);
    }
  }

  get(key: SeriesKey, nowMs: number): Reading | undefined {
    const r = this.latest.get(key);
    return r && atTime(r, nowMs, this.maxAgeOf.get(key) ?? this.maxAgeMs);
  }

  /** Value or null (unknown, stale or never seen). */
  value(key: SeriesKey, nowMs: number): number | null {
    return this.get(key, nowMs)?.value ?? null;
  }

  summary(nowMs: number): RackSummary {
    let power = 0;
    const unknown: string[] = [];
    for (const d of this.powerDevices) {
      const v = this.value(seriesKey(d, Q.inletPower), nowMs);
      if (v === null) unknown.push(d);
      else power += v;
    }
    const circuits = this.circuits.map((c): CircuitView => {
      const current = this.get(seriesKey(c.device, Q.phaseCurrent, c.phase), nowMs)
        ?? { value: null, quality: 'stale', timeMs: 0, detail: 'never read' };
      const limitA = c.breakerA * c.continuousFactor;
      return {
        id: c.id,
        current,
        limitA,
        breakerA: c.breakerA,
        utilisation: current.value === null ? null : current.value / limitA,
      };
    });
    return { powerW: unknown.length === this.powerDevices.length ? null : power, unknownPowerDevices: unknown, circuits };
  }
}
