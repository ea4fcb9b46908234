// Helpers for spool tests: real batches, a spool in a fresh temp directory, and a file system
// that fails on command (the spool's fs seam), for disk-full and failing-disk cases.
import { mkdtemp, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import { FakeClock } from '../../agent/runtime/clock.js';
import { nullLogger } from '../../agent/runtime/log.js';
import type { AgentEvent, BuiltBatch } from '../../agent/uplink/encoder.js';
import { nodeSpoolFs, type SpoolFile, type SpoolFs } from '../../agent/uplink/spool/fs.js';
import { DiskSpool, type SpoolOptions } from '../../agent/uplink/spool/spool.js';
import { encodeBatch } from '../../protocols/wire/codec.js';

/** A real encoded batch with `n` samples whose values encode the seq (checkable after a round trip). */
export function batchOf(seq: number, n = 20, catalogVersion = 7): BuiltBatch {
  const bytes = encodeBatch({ seq, catalogVersion, baseTimeMs: 1_700_000_000_000 + seq * 1000, groups: [{ aliasDeltas: Array.from({ length: n }, () => 1), values: Array.from({ length: n }, (_, i) => seq * 1000 + i) }] });
  return { seq, bytes, samples: n, missing: 0, events: 0, baseTimeMs: 1_700_000_000_000 + seq * 1000, catalogVersion };
}

/** A fresh directory under the run's temporary root (removed when the test run ends). */
export async function tempDir(prefix = 'rp-spool-'): Promise<string> {
  return mkdtemp(join(inject('tmpRoot'), prefix));
}

export async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.startsWith('seg-')).sort();
}

type Op = 'write' | 'datasync' | 'open' | 'freeBytes' | 'writeFileAtomic';

/**
 * nodeSpoolFs with switches: `fail.write = 'ENOSPC'` makes every write reject with that code,
 * `hang.write = true` makes writes never resolve, `free` overrides freeBytes.
 */
export class FaultyFs implements SpoolFs {
  readonly fail: Partial<Record<Op, string>> = {};
  readonly hang: Partial<Record<Op, boolean>> = {};
  free: number | undefined;

  private check(op: Op): Promise<void> | undefined {
    if (this.hang[op]) return new Promise<void>(() => {});
    const code = this.fail[op];
    if (code) return Promise.reject(Object.assign(new Error(`${op}: injected ${code}`), { code }));
    return undefined;
  }

  mkdir = (d: string): Promise<void> => nodeSpoolFs.mkdir(d);
  list = (d: string): Promise<string[]> => nodeSpoolFs.list(d);
  readFile = (p: string): Promise<Uint8Array | undefined> => nodeSpoolFs.readFile(p);
  unlink = (p: string): Promise<void> => nodeSpoolFs.unlink(p);
  syncDir = (d: string): Promise<void> => nodeSpoolFs.syncDir(d);

  async writeFileAtomic(p: string, data: Uint8Array): Promise<void> {
    await this.check('writeFileAtomic');
    return nodeSpoolFs.writeFileAtomic(p, data);
  }

  async freeBytes(d: string): Promise<number> {
    await this.check('freeBytes');
    return this.free ?? nodeSpoolFs.freeBytes(d);
  }

  async open(p: string, create: boolean): Promise<SpoolFile> {
    await this.check('open');
    const f = await nodeSpoolFs.open(p, create);
    return {
      write: async (data, pos) => {
        await this.check('write');
        return f.write(data, pos);
      },
      datasync: async () => {
        await this.check('datasync');
        return f.datasync();
      },
      read: (into, pos) => f.read(into, pos),
      truncate: (len) => f.truncate(len),
      close: () => f.close(),
    };
  }
}

export interface OpenedSpool {
  readonly spool: DiskSpool;
  readonly clock: FakeClock;
  readonly events: AgentEvent[];
}

let nextStream = 1000;

export async function openSpool(dir: string, over: Partial<SpoolOptions> = {}, fs: SpoolFs = nodeSpoolFs, clock = new FakeClock()): Promise<OpenedSpool> {
  const spool = await DiskSpool.open(
    { dir, maxBytes: 1 << 20, segmentBytes: 16 << 10, fsyncIntervalMs: 100, memoryBytes: 1 << 20, reserveBytes: 0, ...over },
    { fs, clock, log: nullLogger, newStreamId: () => nextStream++ },
  );
  const events: AgentEvent[] = [];
  spool.setEventSink((e) => events.push(e));
  return { spool, clock, events };
}

/** Lets queued spool I/O finish and fsync timers fire. */
export async function settle(o: OpenedSpool, ms = 200): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await o.spool.settled();
    await o.clock.advance(ms);
  }
  await o.spool.settled();
}

/** Everything after() hands out past `after`, reading back from disk as needed. */
export async function drain(o: OpenedSpool, after = 0): Promise<BuiltBatch[]> {
  const out: BuiltBatch[] = [];
  let cursor = after;
  for (let spins = 0; spins < 10_000; spins++) {
    const got = o.spool.after(cursor, 50);
    if (got.length) {
      out.push(...got);
      cursor = got.at(-1)!.seq;
      continue;
    }
    await settle(o, 0);
    if (!o.spool.after(cursor, 1).length) break;
  }
  return out;
}
