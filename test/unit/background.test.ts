// BackgroundSampler (reads off the poll cycle, on a FakeClock) and per-series freshness in
// RackState: a slow series is current for its own max age, not the cycle's.
import { describe, expect, it } from 'vitest';
import { RackState } from '../../agent/core/rack.js';
import { ok } from '../../agent/core/reading.js';
import { BackgroundSampler, NOTHING_NEW } from '../../agent/drivers/background.js';
import type { PollResult } from '../../agent/drivers/types.js';
import { FakeClock } from '../../agent/runtime/clock.js';

function deferred(): { promise: Promise<PollResult>; resolve: (r: PollResult) => void } {
  let resolve!: (r: PollResult) => void;
  const promise = new Promise<PollResult>((r) => (resolve = r));
  return { promise, resolve };
}

const result = (t: number): PollResult => ({ samples: [{ key: 'gpu/gpu.power/0', reading: ok(100, t) }], failed: 0, requests: 1 });

describe('BackgroundSampler', () => {
  it('take() never waits; a read starts when due, one at a time, and its result is handed over once', async () => {
    const clock = new FakeClock(0);
    const reads: { signal: AbortSignal; d: ReturnType<typeof deferred> }[] = [];
    const s = new BackgroundSampler(clock, 5000, (signal) => {
      const d = deferred();
      reads.push({ signal, d });
      return d.promise;
    });
    expect(s.take()).toBe(NOTHING_NEW);
    expect(reads).toHaveLength(1);
    await clock.advance(6000); // overdue, but the first read is still in flight: no second read
    expect(s.take()).toBe(NOTHING_NEW);
    expect(reads).toHaveLength(1);
    reads[0]!.d.resolve(result(1));
    await s.settle();
    const next = s.take(); // hands over the result, and starts the overdue read
    expect(next.samples[0]?.reading.timeMs).toBe(1);
    expect(reads).toHaveLength(2);
    expect(s.take()).toBe(NOTHING_NEW); // handed over once
    reads[1]!.d.resolve(result(2));
    await s.settle();
    await clock.advance(1000); // 7000: the read started at 6000 is not due again until 11000
    expect(s.take().samples[0]?.reading.timeMs).toBe(2);
    expect(reads).toHaveLength(2);
    await clock.advance(4000);
    s.take();
    expect(reads).toHaveLength(3);
    const closing = s.close();
    expect(reads[2]!.signal.aborted).toBe(true);
    reads[2]!.d.resolve(result(3));
    await closing;
    await clock.advance(10_000);
    expect(s.take()).toMatchObject({ requests: 1 }); // the last result, then nothing more starts
    expect(reads).toHaveLength(3);
  });

  it('a read that rejects (a broken contract) is reported as a failed request, not lost', async () => {
    const clock = new FakeClock(0);
    const s = new BackgroundSampler(clock, 1000, () => Promise.reject(new Error('boom')));
    s.take();
    await s.settle();
    expect(s.take()).toMatchObject({ samples: [], failed: 1, requests: 1, error: 'read failed: boom' });
  });
});

describe('RackState per-series freshness', () => {
  it('uses a series’ own max age, and the default for the rest', () => {
    const rack = new RackState([], [], 3000, new Map([['gpu/gpu.power/0', 9000]]));
    rack.observe([{ key: 'gpu/gpu.power/0', reading: ok(600, 0) }, { key: 'pdu/inlet.power', reading: ok(5000, 0) }]);
    expect(rack.value('gpu/gpu.power/0', 8000)).toBe(600);
    expect(rack.get('pdu/inlet.power', 8000)).toMatchObject({ value: null, quality: 'stale' });
    expect(rack.get('gpu/gpu.power/0', 9001)).toMatchObject({ value: null, quality: 'stale' });
  });
});
