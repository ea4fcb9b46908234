// spool.*: one hour of hub outage at 1 Hz for a full rack, then recovery, through the real
// encoder (BatchBuilder), disk spool (real files, default settings), hub link (real WebSocket on
// loopback, default pacing: backfill at 1 MiB/s) and reference hub (with --state-dir journal).
//
// Time is compressed where nothing real waits: the outage's 3600 polls are generated as fast as
// the spool takes them, with timestamps one second apart; the agent is restarted mid-outage
// (spool closed and reopened); the hub comes back; the backlog then drains in real time while
// live polls continue at 1 Hz in real time.
//
// "Full rack" = 4 PDUs, 40 miners, 8 GPUs. This section measures delivery, not the drivers: the
// samples are synthesised (9 series a miner, 8 a GPU; the PDUs use the simulated PDU's 115), 884
// series a poll, as seeded random walks at wire precision.
//   spool.samples_lost          samples appended by the agent minus samples stored by the hub
//   spool.duplicates_at_hub     batches the hub received twice (dropped by its dedup)
//   spool.drain_x_realtime      hour of backlog ÷ seconds from link up to backlog acked
//   spool.live_latency_s_p99    live poll appended → stored at the hub, during the drain
//   spool.bytes_per_sample      spool bytes on disk ÷ samples spooled during the outage
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { Sample } from '../../agent/core/reading.js';
import { keyOf, type SeriesSpec } from '../../agent/core/series.js';
import { systemClock } from '../../agent/runtime/clock.js';
import { nullLogger } from '../../agent/runtime/log.js';
import { buildCatalog, catalogToWire } from '../../agent/uplink/catalog.js';
import { BatchBuilder } from '../../agent/uplink/encoder.js';
import { HubLink } from '../../agent/uplink/hub-link.js';
import { nodeSpoolFs } from '../../agent/uplink/spool/fs.js';
import { DiskSpool } from '../../agent/uplink/spool/spool.js';
import { PROTOCOL_VERSION } from '../../protocols/wire/codec.js';
import { startHub, type Hub } from '../../hub/server.js';
import type { Section } from '../harness.js';
import { percentile, round } from '../harness.js';

const OUTAGE_S = 3600;
const STREAM = 4242;

function spec(device: string, quantity: string, channel: string, unit: string, scaleExp: number, kind: SeriesSpec['kind'] = 'gauge'): SeriesSpec {
  return { device, quantity, channel, unit, scaleExp, kind };
}

/** The full rack's series, grouped by device (one sample group per device poll). */
export function fullRackSeries(): SeriesSpec[][] {
  const out: SeriesSpec[][] = [];
  for (let p = 0; p < 4; p++) {
    const d = `pdu-${p + 1}`;
    const s = [spec(d, 'inlet.power', '', 'W', 0), spec(d, 'inlet.apparent_power', '', 'VA', 0), spec(d, 'inlet.energy', '', 'Wh', 0, 'counter'), spec(d, 'inlet.frequency', '', 'Hz', -2)];
    for (const ph of ['L1', 'L2', 'L3']) s.push(spec(d, 'phase.voltage', ph, 'V', -1), spec(d, 'phase.current', ph, 'A', -2), spec(d, 'phase.power', ph, 'W', 0), spec(d, 'phase.pf', ph, '1', -2), spec(d, 'phase.energy', ph, 'Wh', 0, 'counter'));
    for (let o = 1; o <= 24; o++) s.push(spec(d, 'outlet.current', `${o}`, 'A', -2), spec(d, 'outlet.power', `${o}`, 'W', 0), spec(d, 'outlet.energy', `${o}`, 'Wh', 0, 'counter'), spec(d, 'outlet.state', `${o}`, '1', 0, 'state'));
    out.push(s);
  }
  for (let m = 0; m < 40; m++) {
    const d = `miner-${m + 1}`;
    out.push([spec(d, 'power', '', 'W', 0), spec(d, 'hashrate', '', 'TH/s', -1), spec(d, 'temp.inlet', '', 'Cel', -1), spec(d, 'temp.outlet', '', 'Cel', -1), spec(d, 'temp.chip', '', 'Cel', -1),
      spec(d, 'fan.speed', '1', 'rpm', 0), spec(d, 'fan.speed', '2', 'rpm', 0), spec(d, 'state', '', '1', 0, 'state'), spec(d, 'errors', '', '1', 0, 'counter')]);
  }
  for (let g = 0; g < 8; g++) {
    const d = `gpu-${g + 1}`;
    out.push([spec(d, 'power', '', 'W', -1), spec(d, 'power_limit', '', 'W', 0), spec(d, 'utilization', '', '%', 0), spec(d, 'temp', '', 'Cel', 0), spec(d, 'temp.memory', '', 'Cel', 0),
      spec(d, 'clock.sm', '', 'MHz', 0), spec(d, 'memory.used', '', 'MiB', 0), spec(d, 'fan.speed', '', '%', 0)]);
  }
  return out;
}

/** Seeded random walks with plausible magnitudes; counters only go up. */
class RackSignal {
  private readonly values: number[][];
  private seed = 12345;
  constructor(private readonly groups: SeriesSpec[][]) {
    this.values = groups.map((g) => g.map((s) => (s.kind === 'state' ? 1 : s.unit === 'V' ? 230 : s.unit === 'A' ? 8 : s.unit === 'Wh' ? 1e6 : s.unit === 'W' ? 2500 : 50)));
  }
  private rand(): number {
    this.seed = (this.seed * 1103515245 + 12345) % 2 ** 31;
    return this.seed / 2 ** 31;
  }
  poll(timeMs: number): Sample[][] {
    return this.groups.map((g, i) => g.map((s, j) => {
      const row = this.values[i] as number[];
      const v = row[j] as number;
      const next = s.kind === 'state' ? v : s.kind === 'counter' ? v + this.rand() * 2 : v * (1 + (this.rand() - 0.5) * 0.01);
      row[j] = next;
      return { key: keyOf(s), reading: { value: next, quality: 'ok' as const, timeMs } };
    }));
  }
}

interface Rig {
  hub: Hub;
  latencies: number[];
  appendedAt: Map<number, number>;
}

export const spoolSection: Section = {
  name: 'spool: 1 h outage of a full rack, then recovery',
  prefixes: ['spool.'],
  targets: {
    'spool.samples_lost': { op: '==', value: 0 },
    'spool.drain_x_realtime': { op: '>=', value: 50 },
    'spool.live_latency_s_p99': { op: '<=', value: 2 },
  },
  notes: {
    'spool.duplicates_at_hub': 'batches dropped by hub dedup', 'spool.bytes_per_sample': 'spool disk bytes / sample',
    'spool.samples_per_poll': 'full rack, synthesised', 'spool.reopen_ms': 'agent restart with 1 h spooled', 'spool.live_samples': 'live polls during the drain (p99 of so few is their max)',
    'spool.drain_s': 'link up → backlog acked',
  },
  async run() {
    const groups = fullRackSeries();
    const specs = groups.flat();
    const catalog = buildCatalog(specs);
    const signal = new RackSignal(groups);
    const builder = new BatchBuilder(catalog);
    const work = await mkdtemp(join(tmpdir(), 'rp-bench-spool-'));
    const spoolDir = join(work, 'spool');
    const spoolOpts = { dir: spoolDir, maxBytes: 256 << 20, segmentBytes: 4 << 20, fsyncIntervalMs: 500, memoryBytes: 4 << 20, reserveBytes: 64 << 20 };
    const openSpool = (): Promise<DiskSpool> => DiskSpool.open(spoolOpts, { fs: nodeSpoolFs, clock: systemClock, log: nullLogger, newStreamId: () => STREAM });
    const rig: Rig = { latencies: [], appendedAt: new Map(), hub: undefined as unknown as Hub };
    const stateDir = join(work, 'hub-state');
    const startBenchHub = (port: number): Promise<Hub> => startHub({
      host: '127.0.0.1', port, log: nullLogger, stateDir,
      onBatch: (_r, b, dup) => {
        const t = rig.appendedAt.get(b.seq);
        if (!dup && !b.historical && t !== undefined) rig.latencies.push((performance.now() - t) / 1000);
      },
    });
    let appendedSamples = 0;
    const poll = (spool: DiskSpool, timeMs: number): void => {
      for (const g of signal.poll(timeMs)) builder.addGroup(timeMs, g);
      const b = builder.build(spool.nextSeq());
      spool.append(b);
      appendedSamples += b.samples;
    };

    // Outage: the hub is not there. 3600 polls, one simulated second apart.
    let spool = await openSpool();
    spool.setCatalog(catalog.version, catalogToWire(catalog));
    const t0 = Date.now() - OUTAGE_S * 1000;
    for (let i = 0; i < OUTAGE_S; i++) {
      poll(spool, t0 + i * 1000);
      if (i % 20 === 19) await spool.settled();
    }
    await spool.close();
    const outageSamples = appendedSamples;
    const diskBytes = spool.stats().diskBytes;

    // The agent restarts with the hour spooled, the hub comes back.
    const r0 = performance.now();
    spool = await openSpool();
    const reopenMs = performance.now() - r0;
    spool.setCatalog(catalog.version, catalogToWire(catalog));
    rig.hub = await startBenchHub(0);
    const { port } = rig.hub.address;
    const link = benchLink(spool, catalog, `ws://127.0.0.1:${port}/agent`);
    link.start();
    const live = setInterval(() => {
      rig.appendedAt.set(spool.nextSeq(), performance.now());
      poll(spool, Date.now());
      link.notify();
    }, 1000);
    try {
      while (link.state !== 'up') await sleep(5);
      const up = performance.now();
      while (spool.stats().oldestSeq !== 0 && spool.stats().oldestSeq <= OUTAGE_S) await sleep(20);
      const drainS = (performance.now() - up) / 1000;
      const liveSamples = rig.latencies.length;
      clearInterval(live);
      while (spool.stats().batches > 0) await sleep(20); // the last live batches
      const rack = rig.hub.racks.get('rack-bench')!;
      return {
        'spool.samples_lost': appendedSamples - rack.counters.samples,
        'spool.duplicates_at_hub': rack.counters.duplicates,
        'spool.drain_x_realtime': round(OUTAGE_S / drainS, 0),
        'spool.drain_s': round(drainS, 2),
        'spool.live_latency_s_p99': round(percentile(rig.latencies.slice(0, Math.max(1, liveSamples)), 99), 3),
        'spool.live_samples': liveSamples,
        'spool.bytes_per_sample': round(diskBytes / outageSamples, 2),
        'spool.samples_per_poll': specs.length,
        'spool.reopen_ms': round(reopenMs, 0),
      };
    } finally {
      clearInterval(live);
      await link.stop();
      await spool.close();
      await rig.hub.close();
      await rm(work, { recursive: true, force: true });
    }
  },
};

function benchLink(spool: DiskSpool, catalog: ReturnType<typeof buildCatalog>, url: string): HubLink {
  const series = catalogToWire(catalog);
  return new HubLink(
    { url, connectTimeoutMs: 5000, heartbeatMs: 15_000, backoffInitialMs: 200, backoffMaxMs: 1000, maxPayloadBytes: 1 << 20, highWaterBytes: 256 << 10, backfillBytesPerS: 1 << 20, backfillHighWaterBytes: 64 << 10 },
    { clock: systemClock, log: nullLogger, connect: (u, o) => new WebSocket(u, o) },
    spool,
    {
      hello: (session) => ({
        agentId: 'bench-agent', siteId: 'bench', rackId: 'rack-bench', softwareVersion: 'bench', protocolVersion: PROTOCOL_VERSION, streamId: spool.streamId, session,
        series, catalogVersion: catalog.version, oldestUnackedSeq: spool.stats().oldestSeq || spool.nextSeq(), timeMs: Date.now(),
      }),
      message: () => {},
    },
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
