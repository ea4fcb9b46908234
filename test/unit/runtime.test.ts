import { describe, expect, it } from 'vitest';
import { Backoff } from '../../agent/runtime/backoff.js';
import { FakeClock } from '../../agent/runtime/clock.js';
import { createLogger } from '../../agent/runtime/log.js';
import { FixedRateScheduler } from '../../agent/runtime/scheduler.js';

describe('FixedRateScheduler', () => {
  it('ticks at a fixed rate without drift, the first tick at once', async () => {
    const clock = new FakeClock();
    const due: number[] = [];
    const s = new FixedRateScheduler(clock, 1000, (t) => {
      due.push(t.dueMs);
      return Promise.resolve();
    }, () => {});
    const start = clock.monotonic();
    s.start();
    await clock.advance(3500);
    await s.stop();
    expect(due.map((d) => d - start)).toEqual([0, 1000, 2000, 3000]);
    expect(s.stats).toMatchObject({ ticks: 4, overruns: 0 });
  });

  it('skips and counts a tick when the previous one is still running, and aborts it at its deadline', async () => {
    const clock = new FakeClock();
    const aborted: boolean[] = [];
    let release: (() => void) | undefined;
    const s = new FixedRateScheduler(clock, 1000, (t) => {
      if (t.n === 0) {
        return new Promise<void>((resolve) => {
          release = resolve;
          t.signal.addEventListener('abort', () => aborted.push(true));
        });
      }
      return Promise.resolve();
    }, () => {});
    s.start();
    await clock.advance(2500); // ticks 1 and 2 are due while tick 0 hangs
    expect(aborted).toEqual([true]);
    expect(s.stats.overruns).toBe(2);
    release?.();
    await clock.advance(1000);
    expect(s.stats.ticks).toBe(2);
    await s.stop();
  });

  it('reports a failing tick and keeps going', async () => {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    let n = 0;
    const s = new FixedRateScheduler(clock, 100, () => {
      n++;
      return n === 2 ? Promise.reject(new Error('boom')) : Promise.resolve();
    }, (e) => errors.push(e));
    s.start();
    await clock.advance(450);
    await s.stop();
    expect(n).toBe(5);
    expect(errors).toHaveLength(1);
  });
});

describe('Backoff', () => {
  it('grows exponentially up to the cap, with full jitter, and resets', () => {
    const hi = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 1);
    expect([hi.next(), hi.next(), hi.next(), hi.next(), hi.next(), hi.next()]).toEqual([100, 200, 400, 800, 1000, 1000]);
    hi.reset();
    expect(hi.next()).toBe(100);
    const lo = new Backoff({ initialMs: 100, maxMs: 1000, minMs: 50 }, () => 0);
    expect([lo.next(), lo.next()]).toEqual([50, 50]);
    const mid = new Backoff({ initialMs: 100, maxMs: 1000 }, () => 0.5);
    expect([mid.next(), mid.next(), mid.next()]).toEqual([50, 100, 200]);
  });
});

describe('logger', () => {
  it('writes one JSON object per line, filters by level, flattens errors', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', sink: { write: (l) => lines.push(l) }, now: () => 0 }).child({ component: 'x' });
    log.debug('hidden');
    log.warn('careful', { err: Object.assign(new Error('bad'), { code: 'E1' }) });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({ ts: '1970-01-01T00:00:00.000Z', level: 'warn', msg: 'careful', component: 'x', err: { name: 'Error', message: 'bad', code: 'E1' } });
  });
});
