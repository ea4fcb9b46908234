// Fault injection for simulated Modbus devices. A fault applies to the next `count` requests to
// the device (default: every request until cleared), or to every `every`-th one. The server
// (modbus-server.ts) carries it out on the wire.

export type FaultKind =
  /** No reply at all. The request is lost before the device acts on it, unless `applied`. */
  | 'timeout'
  /** An exception reply with `code` (default 04 server failure; 06 = busy). */
  | 'exception'
  /** `bytes` random bytes before the reply (default 3). */
  | 'garbage'
  /** RTU: the reply's CRC is wrong. (TCP has no CRC; ignored there.) */
  | 'crc'
  /** The reply arrives in `pieces` writes, `delayMs` apart (default 3 pieces, 5 ms). */
  | 'split'
  /** The reply comes `delayMs` late (default 300 ms). */
  | 'slow'
  /** The device is gone for `durationMs` (default 2000): TCP devices drop their connections, bus devices go silent. */
  | 'reboot'
  /** The connection is closed instead of replying (a gateway dropping its socket). */
  | 'drop';

export interface FaultSpec {
  readonly kind: FaultKind;
  /** timeout: the device carries the request out, only the reply is lost. */
  readonly applied?: boolean;
  readonly code?: number;
  readonly bytes?: number;
  readonly pieces?: number;
  readonly delayMs?: number;
  readonly durationMs?: number;
  readonly count?: number;
  readonly every?: number;
}

export class FaultInjector {
  private faults: { spec: FaultSpec; left: number; seen: number }[] = [];
  private downUntil = 0;
  /** Faults carried out, by kind. */
  readonly applied: Record<FaultKind, number> = { timeout: 0, exception: 0, garbage: 0, crc: 0, split: 0, slow: 0, reboot: 0, drop: 0 };

  inject(spec: FaultSpec): void {
    this.faults.push({ spec, left: spec.count ?? Number.POSITIVE_INFINITY, seen: 0 });
  }

  clear(): void {
    this.faults = [];
    this.downUntil = 0;
  }

  /** True while a reboot is in progress. */
  down(nowMs: number): boolean {
    return nowMs < this.downUntil;
  }

  /** The fault for the request arriving now, if any (the first one that applies). */
  next(nowMs: number): FaultSpec | undefined {
    for (const f of this.faults) {
      f.seen++;
      if (f.spec.every !== undefined && f.seen % f.spec.every !== 0) continue;
      if (f.left <= 0) continue;
      f.left--;
      this.applied[f.spec.kind]++;
      if (f.spec.kind === 'reboot') this.downUntil = nowMs + (f.spec.durationMs ?? 2000);
      this.faults = this.faults.filter((x) => x.left > 0);
      return f.spec;
    }
    return undefined;
  }
}
