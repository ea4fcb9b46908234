// Readings carry their time and quality. Unknown is not zero: a reading without a trustworthy
// value has value null and says why, and consumers treat it as a risk, never as 0.

import type { SeriesKey } from './series.js';

export type BadQuality = 'stale' | 'timeout' | 'device_error' | 'comm_error' | 'invalid' | 'unsupported';
export type Quality = 'ok' | BadQuality;

export type Reading =
  | { readonly value: number; readonly quality: 'ok'; readonly timeMs: number }
  | { readonly value: null; readonly quality: BadQuality; readonly timeMs: number; readonly detail?: string };

/** One sample as produced by a driver poll. */
export interface Sample {
  readonly key: SeriesKey;
  readonly reading: Reading;
}

export function ok(value: number, timeMs: number): Reading {
  return { value, quality: 'ok', timeMs };
}

export function bad(quality: BadQuality, timeMs: number, detail?: string): Reading {
  return detail === undefined ? { value: null, quality, timeMs } : { value: null, quality, timeMs, detail };
}

/**
 * The reading as seen at `nowMs`: a good value older than `maxAgeMs` becomes stale (value null).
 * Bad readings keep their own quality and time.
 */
export function atTime(r: Reading, nowMs: number, maxAgeMs: number): Reading {
  if (r.quality === 'ok' && nowMs - r.timeMs > maxAgeMs) {
    return { value: null, quality: 'stale', timeMs: r.timeMs, detail: `last value ${Math.round(nowMs - r.timeMs)} ms old` };
  }
  return r;
}

/** A finite number, or a typed 'invalid' reading: NaN and ±Inf never pass as values. */
export function checked(value: number, timeMs: number): Reading {
  return Number.isFinite(value) ? ok(value, timeMs) : bad('invalid', timeMs, `non-finite value ${value}`);
}
