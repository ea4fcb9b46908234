// Benchmark harness: sections produce flat numeric results; the runner merges them into
// bench/results.json and prints a table with targets.
import { cpus, totalmem } from 'node:os';

export interface Target {
  readonly op: '<=' | '>=' | '==';
  readonly value: number;
}

export interface Section {
  readonly name: string;
  /** Every key this section writes starts with one of these (for `make bench ONLY=prefix`). */
  readonly prefixes: readonly string[];
  readonly targets?: Readonly<Record<string, Target>>;
  /** Units or notes shown in the table. */
  readonly notes?: Readonly<Record<string, string>>;
  run(): Promise<Record<string, number>>;
}

export function machine(): Record<string, string | number> {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    arch: process.arch,
    platform: process.platform,
  };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
}

export function round(v: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export function meets(v: number, t: Target): boolean {
  return t.op === '<=' ? v <= t.value : t.op === '>=' ? v >= t.value : v === t.value;
}
