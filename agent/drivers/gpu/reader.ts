// Reads every GPU of one host with a single `nvidia-smi --query-gpu` call and learns which field
// spellings the host's driver knows: a rejected field (`Field "x" is not a valid field to
// query.`) is retried under its older spelling, or left out when optional, and the choice is
// kept for later reads. A failed call becomes a typed failure, never an exception.

import type { BadQuality } from '../../core/reading.js';
import type { Clock } from '../../runtime/clock.js';
import { ExecError, execSummary, type ExecResult } from '../../runtime/exec.js';
import type { Logger } from '../../runtime/log.js';
import { parseQueryCsv, type Cell, type HeaderMismatch } from './csv.js';
import type { GpuField } from './fields.js';
import type { NvidiaSmiRunner } from './runner.js';

/** nvidia-smi's documented exit codes (man nvidia-smi, RETURN VALUE). */
export const NVIDIA_SMI_EXIT: Readonly<Record<number, string>> = {
  2: 'invalid argument',
  3: 'not available on this GPU',
  4: 'insufficient permissions',
  6: 'no GPU found',
  8: 'GPU power cables not attached',
  9: 'NVIDIA driver not loaded',
  10: 'kernel detected an interrupt issue with a GPU',
  12: 'NVML library not found',
  13: 'NVML lacks this function',
  14: 'infoROM corrupted',
  15: 'a GPU fell off the bus or is inaccessible',
  255: 'other error (or ssh could not connect)',
};

export type GpuRead =
  | {
    readonly ok: true;
    readonly timeMs: number;
    readonly durationMs: number;
    /** One record per GPU row by field key; fields the driver lacks are 'unsupported' cells. */
    readonly rows: readonly Readonly<Record<string, Cell>>[];
    /** The columns queried, in order, each under the spelling this driver accepted. */
    readonly columns: readonly QueryColumn[];
    readonly mismatches: readonly HeaderMismatch[];
    /** nvidia-smi's messages besides the table (a GPU that fell off the bus, warnings). */
    readonly messages: readonly string[];
    /** Set when nvidia-smi exited non-zero but still printed rows (some GPUs unreadable). */
    readonly partial?: string;
  }
  | { readonly ok: false; readonly timeMs: number; readonly quality: BadQuality; readonly code: string; readonly message: string };

const INVALID_FIELD = /Field "([^"]+)" is not a valid field to query/;

export interface QueryColumn {
  readonly field: GpuField;
  readonly spelling: string;
}

export class NvidiaSmiReader {
  /** Index into each field's spellings; -1 = the driver does not have the field. */
  private readonly spelling = new Map<string, number>();
  readonly stats = { reads: 0, failures: 0, fieldsDropped: 0, maxReadMs: 0 };
  /** The last header mismatches logged (logged again only when they change). */
  private lastMismatches = '[]';

  constructor(
    private readonly runner: NvidiaSmiRunner,
    private readonly fields: readonly GpuField[],
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /** Fields this host's driver does not have (learned from rejected queries). */
  get missingFields(): string[] {
    return this.fields.filter((f) => this.spelling.get(f.key) === -1).map((f) => f.key);
  }

  /** One query of all GPUs, or of the GPUs named by `select` (index, UUID or PCI bus id). */
  async read(signal: AbortSignal | undefined, select?: string): Promise<GpuRead> {
    this.stats.reads++;
    for (let attempt = 0; attempt <= this.fields.length; attempt++) {
      const columns = this.columns();
      let res: ExecResult;
      try {
        res = await this.runner.run([`--query-gpu=${columns.map((c) => c.spelling).join(',')}`, '--format=csv,nounits', ...(select ? ['-i', select] : [])], signal);
      } catch (err) {
        return this.fail(execFailure(err));
      }
      const rejected = res.code !== 0 ? INVALID_FIELD.exec(res.stdout + res.stderr)?.[1] : undefined;
      if (rejected !== undefined) {
        const why = this.downgrade(rejected);
        if (why) return this.fail({ quality: 'unsupported', code: 'gpu_field_unknown', message: why });
        continue;
      }
      return this.parse(res, columns);
    }
    return this.fail({ quality: 'unsupported', code: 'gpu_field_unknown', message: 'nvidia-smi kept rejecting query fields' });
  }

  private columns(): QueryColumn[] {
    const out: QueryColumn[] = [];
    for (const f of this.fields) {
      const i = this.spelling.get(f.key) ?? 0;
      const spelling = f.query[i];
      if (i >= 0 && spelling !== undefined) out.push({ field: f, spelling });
    }
    return out;
  }

  /** Moves a rejected field to its next spelling or drops it; returns a reason when it cannot. */
  private downgrade(rejected: string): string | undefined {
    const f = this.fields.find((x) => x.query[this.spelling.get(x.key) ?? 0] === rejected);
    if (!f) return `nvidia-smi rejected "${rejected}", which rackpilot did not ask for`;
    const next = (this.spelling.get(f.key) ?? 0) + 1;
    if (next < f.query.length) {
      this.spelling.set(f.key, next);
      this.log.info('nvidia-smi field spelling changed for this driver', { field: f.key, rejected, using: f.query[next] });
      return undefined;
    }
    if (!f.optional) return `this driver's nvidia-smi has no field "${rejected}", which rackpilot needs`;
    this.spelling.set(f.key, -1);
    this.stats.fieldsDropped++;
    this.log.info('nvidia-smi field not available with this driver; reported as unsupported', { field: f.key });
    return undefined;
  }

  /** A row with the fields this driver lacks (left out of the query) added as 'unsupported' cells. */
  complete(row: Readonly<Record<string, Cell>>): Readonly<Record<string, Cell>> {
    const missing = this.fields.filter((f) => this.spelling.get(f.key) === -1);
    if (missing.length === 0) return row;
    const full: Record<string, Cell> = { ...row };
    for (const f of missing) full[f.key] = { ok: false, quality: 'unsupported', reason: `this driver's nvidia-smi has no field ${f.query.join(' or ')}` };
    return full;
  }

  private parse(res: ExecResult, columns: readonly QueryColumn[]): GpuRead {
    const timeMs = this.clock.now();
    this.stats.maxReadMs = Math.max(this.stats.maxReadMs, res.durationMs);
    const parsed = parseQueryCsv(res.stdout, columns);
    if (res.code !== 0 && parsed.rows.length === 0) {
      const meaning = res.code !== null ? NVIDIA_SMI_EXIT[res.code] : undefined;
      return this.fail({ quality: res.code === 255 ? 'comm_error' : 'device_error', code: 'gpu_exit', message: `${execSummary(res)}${meaning ? `: ${meaning}` : ''}` });
    }
    if (!parsed.headerFound && parsed.rows.length === 0) {
      return this.fail({ quality: 'invalid', code: 'gpu_output', message: `no CSV in nvidia-smi output: ${execSummary(res)}` });
    }
    const rows = parsed.rows.map((r) => this.complete(r));
    const signature = JSON.stringify(parsed.mismatches);
    if (signature !== this.lastMismatches && parsed.mismatches.length) this.log.warn('nvidia-smi header differs from the query: those columns are reported invalid', { mismatches: parsed.mismatches });
    this.lastMismatches = signature;
    return {
      ok: true, timeMs, durationMs: res.durationMs, rows, columns, mismatches: parsed.mismatches, messages: [...parsed.stray, ...splitLines(res.stderr)],
      ...(res.code !== 0 ? { partial: execSummary(res) } : {}),
    };
  }

  private fail(f: { quality: BadQuality; code: string; message: string }): GpuRead {
    this.stats.failures++;
    return { ok: false, timeMs: this.clock.now(), ...f };
  }
}

function splitLines(s: string): string[] {
  return s.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
}

export function execFailure(err: unknown): { quality: BadQuality; code: string; message: string } {
  if (err instanceof ExecError) {
    const quality: BadQuality = err.code === 'exec_timeout' || err.code === 'cancelled' ? 'timeout' : 'comm_error';
    return { quality, code: err.code, message: err.message };
  }
  return { quality: 'comm_error', code: 'exec_failed', message: (err as Error).message };
}
