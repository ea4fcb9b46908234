// The agent's recent log lines, kept in memory for `GET /logs` (rackpilot diag status, diag
// report): a field tech sees what the agent said without journalctl. Bounded by lines and by
// bytes, oldest dropped first (and counted); writing is O(1) and never formats anything (the
// logger hands over the finished JSON line). Lines are what the logger wrote, so they carry no
// secrets (log.ts: Secrets render as "[REDACTED]").

import { LEVELS, type Level, type LogSink } from './log.js';

export interface LogRingOptions {
  /** Most lines kept (default 1000). */
  readonly maxLines?: number;
  /** Most bytes kept, counted as string length (default 512 KiB). */
  readonly maxBytes?: number;
}

export class LogRing implements LogSink {
  private readonly ring: string[] = [];
  private head = 0;
  private bytes = 0;
  /** Lines dropped to stay within the bounds since start. */
  dropped = 0;
  private readonly maxLines: number;
  private readonly maxBytes: number;

  constructor(o: LogRingOptions = {}) {
    this.maxLines = o.maxLines ?? 1000;
    this.maxBytes = o.maxBytes ?? 512 * 1024;
  }

  write(line: string): void {
    const l = line.endsWith('\n') ? line.slice(0, -1) : line;
    this.ring.push(l);
    this.bytes += l.length;
    while (this.ring.length - this.head > this.maxLines || (this.bytes > this.maxBytes && this.ring.length - this.head > 1)) {
      this.bytes -= (this.ring[this.head] as string).length;
      this.head++;
      this.dropped++;
    }
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.ring.length) {
      this.ring.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The newest `n` lines (oldest first), optionally only those at `minLevel` or above. */
  lines(o: { n?: number; minLevel?: Level } = {}): string[] {
    const n = o.n ?? this.maxLines;
    const min = o.minLevel ? LEVELS.indexOf(o.minLevel) : 0;
    const out: string[] = [];
    for (let i = this.ring.length - 1; i >= this.head && out.length < n; i--) {
      const l = this.ring[i] as string;
      if (min > 0 && LEVELS.indexOf(levelOf(l)) < min) continue;
      out.push(l);
    }
    return out.reverse();
  }

  get size(): number {
    return this.ring.length - this.head;
  }
}

/** The level of a JSON log line; 'info' for a line that is not one of ours. */
export function levelOf(line: string): Level {
  const m = /"level":"(debug|info|warn|error)"/.exec(line);
  return (m?.[1] as Level | undefined) ?? 'info';
}

/** A sink that writes every line to each of `sinks` (stderr and the ring). */
export function teeSink(...sinks: readonly LogSink[]): LogSink {
  return { write: (line) => sinks.forEach((s) => s.write(line)) };
}
