// What the spool tells the hub and the log: its events (dropped data with seq and time range,
// losses, disk trouble, recovery findings) and the placeholder batch that stands in for a lost
// seq. Pure builders; the spool stamps the time and sends them.

import { encodeBatch } from '../../../protocols/wire/codec.js';
import { eventToWire, type AgentEvent, type BuiltBatch } from '../encoder.js';
import type { Recovery } from './recover.js';

export type SpoolEvent = Omit<AgentEvent, 'timeMs'>;

export function stateDamaged(reason: string): SpoolEvent {
  return { severity: 'warning', type: 'spool.state_damaged', message: `spool state file damaged (${reason}); spooled batches are re-sent (the hub drops duplicates)` };
}

export function recoveryDamage(r: Recovery): SpoolEvent | undefined {
  if (!r.corruptRegions && !r.unreadableSegments && !r.lostBatches) return undefined;
  return {
    severity: r.lostBatches ? 'critical' : 'warning', type: 'spool.recovered_damage',
    message: `spool recovery: ${r.corruptRegions} damaged region(s) (${r.corruptBytes} bytes) skipped, ${r.unreadableSegments} unreadable segment(s); ${r.lostBatches} batch(es) lost`,
    values: { corrupt_regions: r.corruptRegions, corrupt_bytes: r.corruptBytes, lost_batches: r.lostBatches },
  };
}

export function degraded(code: string, memoryBytes: number): SpoolEvent {
  return { severity: 'critical', type: 'spool.degraded', message: `spool disk write failed (${code}); batches kept in memory (up to ${memoryBytes} bytes) and sent from there`, attrs: { code } };
}

export function stalled(busyMs: number, batches: number): SpoolEvent {
  return { severity: 'critical', type: 'spool.degraded', message: `spool disk stalled (an operation has run ${Math.round(busyMs)} ms); ${batches} batch(es) and new ones kept in memory and sent from there`, attrs: { code: 'STALLED' } };
}

export function recovered(): SpoolEvent {
  return { severity: 'info', type: 'spool.recovered', message: 'spool disk writes work again' };
}

export interface DropRange {
  readonly batches: number;
  readonly samples: number;
  readonly events: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstTimeMs: number;
  readonly lastTimeMs: number;
}

export function dropped(reason: string, d: DropRange): SpoolEvent {
  return {
    severity: 'critical', type: 'spool.dropped',
    message: `spool ${reason}: dropped the oldest ${d.batches} batch(es), ${d.samples} samples and ${d.events} events (seq ${d.firstSeq}–${d.lastSeq}, ${new Date(d.firstTimeMs).toISOString()} to ${new Date(d.lastTimeMs).toISOString()})`,
    values: { batches: d.batches, samples: d.samples, events: d.events, first_seq: d.firstSeq, last_seq: d.lastSeq, first_time_ms: d.firstTimeMs, last_time_ms: d.lastTimeMs },
    attrs: { reason },
  };
}

export function memoryDropped(batches: number, samples: number): SpoolEvent {
  return { severity: 'critical', type: 'spool.dropped', message: `spool memory full while the disk fails: dropped ${batches} memory-only batch(es), ${samples} samples`, values: { batches, samples }, attrs: { reason: 'memory bound' } };
}

/**
 * An empty batch standing in for a lost seq, so the hub's window moves on. The first of a run of
 * `run` lost seqs carries the `spool.lost` event (run 0: not the first, no event).
 */
export function lostPlaceholder(seq: number, timeMs: number, run: number): BuiltBatch {
  const events = run
    ? [eventToWire({ timeMs, severity: 'critical', type: 'spool.lost', message: `${run} batch(es) from seq ${seq} were lost in the agent's spool (damaged on disk, or dropped while the disk failed)`, values: { batches: run, first_seq: seq } })]
    : [];
  return { seq, bytes: encodeBatch({ seq, baseTimeMs: timeMs, events }), samples: 0, missing: 0, events: events.length, baseTimeMs: timeMs };
}
