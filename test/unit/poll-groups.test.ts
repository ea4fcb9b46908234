// Drivers with their own schedule (miners) poll in their own group: a slow or hung miner never
// delays the 1 s PDU cycle, a group polls at most `concurrency` drivers at once, and readings go
// stale per device. Time from a FakeClock; the drivers here are in-memory stand-ins for the
// scheduler's contract (the miner driver itself is tested against hw-sim in the contract suite).
import { describe, expect, it } from 'vitest';
import { configShape } from '../../agent/config/schema.js';
import { ok, type Sample } from '../../agent/core/reading.js';
import { seriesKey } from '../../agent/core/series.js';
import type { DeviceDriver, PollResult, PollSchedule } from '../../agent/drivers/types.js';
import { Agent } from '../../agent/main.js';
import { FakeClock } from '../../agent/runtime/clock.js';
import { nullLogger } from '../../agent/runtime/log.js';
import { PollOrder } from '../../agent/runtime/poll-order.js';

const config = configShape.parse({
  agent: { id: 'a', site: 's', rack: 'r' },
  metrics: { enabled: false },
  devices: [
    { id: 'pdu-a', type: 'modbus', profile: 'rackpilot-sim-pdu', transport: { type: 'tcp', host: '127.0.0.1', port: 502 }, outlets: 4 },
    ...['m1', 'm2', 'm3', 'm4', 'm5'].map((id) => ({ id, type: 'miner', host: '127.0.0.1' })),
  ],
});

class FakeDriver implements DeviceDriver {
  polls = 0;
  inFlight = 0;
  maxInFlight = 0;
  readonly series;
  constructor(
    readonly info: DeviceDriver['info'],
    private readonly clock: FakeClock,
    /** Resolves the poll: at once (undefined), or when the cycle deadline aborts it. */
    private readonly hang: boolean,
    readonly schedule?: PollSchedule,
  ) {
    // Series read on a slower schedule carry their own freshness (30 s here).
    this.series = [{ device: info.id, quantity: 'x', channel: '', unit: 'W', scaleExp: 0, kind: 'gauge' as const, ...(schedule ? { maxAgeMs: 30_000 } : {}) }];
  }

  async poll(signal: AbortSignal): Promise<PollResult> {
    this.polls++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      // A driver settles promptly once the deadline has passed (DeviceDriver contract).
      if (this.hang && !signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      const samples: Sample[] = [{ key: seriesKey(this.info.id, 'x'), reading: ok(1, this.clock.now()) }];
      return { samples, failed: 0, requests: 1 };
    } finally {
      this.inFlight--;
    }
  }

  counters(): Record<string, number> {
    return {};
  }

  async close(): Promise<void> {}
}

const info = (id: string, kind: 'pdu' | 'miner'): DeviceDriver['info'] => ({ id, kind, model: 'fake', address: 'mem://', labels: {} });
const MINERS: PollSchedule = { intervalMs: 10_000, concurrency: 2 };

describe('poll groups', () => {
  it('keeps the 1 s PDU cycle while every miner hangs until its group deadline', async () => {
    const clock = new FakeClock();
    const pdu = new FakeDriver(info('pdu-a', 'pdu'), clock, false);
    const miners = ['m1', 'm2', 'm3', 'm4', 'm5'].map((id) => new FakeDriver(info(id, 'miner'), clock, true, MINERS));
    const agent = new Agent(config, [pdu, ...miners], clock, nullLogger, {});
    await agent.start();
    await clock.advance(9_500);
    expect(pdu.polls).toBe(10); // t = 0, 1 s … 9 s: none skipped
    expect(agent.scheduler.stats.overruns).toBe(0);
    const group = agent.pollGroups[0]!;
    expect(agent.pollGroups).toHaveLength(1);
    expect(group.intervalMs).toBe(10_000);
    expect(miners.reduce((n, m) => n + m.polls, 0)).toBe(2); // two slots, both hung
    await clock.advance(40_000);
    expect(pdu.polls).toBe(50);
    expect(agent.scheduler.stats.overruns).toBe(0);
    expect(Math.max(...miners.map((m) => m.maxInFlight))).toBe(1);
    // Miners the deadline left unpolled go first next cycle: after five cycles each had a turn.
    expect(miners.every((m) => m.polls >= 2)).toBe(true);
    await agent.stop();
  });

  it('polls a group at most `concurrency` at a time, every driver once per cycle', async () => {
    const clock = new FakeClock();
    const miners = ['m1', 'm2', 'm3', 'm4', 'm5'].map((id) => new FakeDriver(info(id, 'miner'), clock, false, MINERS));
    let concurrent = 0;
    let max = 0;
    for (const m of miners) {
      const inner = m.poll.bind(m);
      m.poll = async (signal) => {
        concurrent++;
        max = Math.max(max, concurrent);
        await clock.advance(0);
        const r = await inner(signal);
        concurrent--;
        return r;
      };
    }
    const agent = new Agent(config, [new FakeDriver(info('pdu-a', 'pdu'), clock, false), ...miners], clock, nullLogger, {});
    await agent.start();
    await clock.advance(25_000);
    expect(miners.map((m) => m.polls)).toEqual([3, 3, 3, 3, 3]); // t = 0, 10 s, 20 s
    expect(max).toBe(2);
    await agent.stop();
  });

  it('judges staleness per series: a miner reading lasts its maxAgeMs, a PDU reading poll.staleAfterMs', async () => {
    const clock = new FakeClock();
    const pdu = new FakeDriver(info('pdu-a', 'pdu'), clock, false);
    const miner = new FakeDriver(info('m1', 'miner'), clock, false, MINERS);
    const agent = new Agent(config, [pdu, miner], clock, nullLogger, {});
    await agent.start();
    await clock.advance(100);
    await agent.stop();
    const t = clock.now();
    expect(agent.rack.get(seriesKey('m1', 'x'), t + 25_000)?.quality).toBe('ok');
    expect(agent.rack.get(seriesKey('m1', 'x'), t + 31_000)?.quality).toBe('stale');
    expect(agent.rack.get(seriesKey('pdu-a', 'x'), t + 3_500)?.quality).toBe('stale');
  });
});

describe('PollOrder', () => {
  it('starts the slowest first, keeps the given order for new and equal ones', () => {
    const o = new PollOrder<string>();
    expect(o.order(['a', 'b', 'c'])).toEqual(['a', 'b', 'c']);
    o.record('a', 5);
    o.record('b', 5000); // hung: cost its whole timeout
    o.record('c', 5);
    expect(o.order(['a', 'b', 'c', 'd'])).toEqual(['b', 'a', 'c', 'd']);
  });

  it('puts drivers the deadline left unpolled first, the longest-waiting before the rest', () => {
    const o = new PollOrder<string>();
    o.record('hung', 10_000);
    o.record('x', 'not-started');
    o.record('y', 'not-started');
    o.record('y', 'not-started');
    expect(o.order(['hung', 'x', 'y'])).toEqual(['y', 'x', 'hung']);
    o.record('y', 3);
    expect(o.order(['hung', 'x', 'y'])).toEqual(['x', 'hung', 'y']);
  });
});
