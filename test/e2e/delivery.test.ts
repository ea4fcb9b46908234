// Durable delivery with real processes, real sockets and real files: the hub killed with SIGKILL
// and restarted from its state directory, the agent killed with SIGKILL and restarted from its
// spool, a spool damaged on disk between runs, and a disk that fills up while the agent streams.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { configForSim } from '../../agent/cli/sim-config.js';
import { resolveConfig } from '../../agent/config/load.js';
import { startAgent } from '../../agent/main.js';
import { nullLogger } from '../../agent/runtime/log.js';
import { startHub, type Hub } from '../../hub/server.js';
import type { RackRecord } from '../../hub/state.js';
import { startSimulator, type RunningSim } from '../../hw-sim/run.js';
import { demo } from '../../hw-sim/scenarios/demo.js';
import type { pb } from '../../protocols/wire/codec.js';
import { startCli, waitExit } from '../support/cli.js';
import { CuttableProxy } from '../support/proxy.js';
import { decodeSpoolRecord } from '../../agent/uplink/spool/records.js';
import { scanAll } from '../../protocols/wire/record.js';
import { FaultyFs, segmentFiles, tempDir } from '../support/spool.js';
import { until } from '../support/wait.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function simulator(): Promise<RunningSim> {
  const sim = await startSimulator(demo, { basePort: 0 });
  cleanup.push(() => sim.stop());
  return sim;
}

/** Every batch the hub saw, in order: what was stored, what was dropped as a duplicate. */
async function recordingHub(over: { port?: number; stateDir?: string } = {}): Promise<{ hub: Hub; seen: { seq: number; dup: boolean; historical: boolean; samples: number }[] }> {
  const seen: { seq: number; dup: boolean; historical: boolean; samples: number }[] = [];
  const hub = await startHub({
    host: '127.0.0.1', port: over.port ?? 0, log: nullLogger, ...(over.stateDir ? { stateDir: over.stateDir } : {}),
    onBatch: (_r, b, dup) => seen.push({ seq: b.seq, dup, historical: b.historical, samples: (b.groups as pb.SampleGroup[]).reduce((n, g) => n + g.values.length, 0) }),
  });
  cleanup.push(() => hub.close());
  return { hub, seen };
}

function agentConfig(sim: RunningSim, url: string, spoolDir: string): Record<string, unknown> {
  const raw = configForSim(sim.endpoints, { hubUrl: url, metricsListen: '127.0.0.1:0', intervalMs: 200 });
  return { ...raw, hub: { url, backoffInitialMs: 100, backoffMaxMs: 300, heartbeatMs: 1000 }, spool: { dir: spoolDir, fsyncIntervalMs: 50 }, log: { level: 'info' } };
}

async function rackJson(apiPort: number): Promise<{ counters: RackRecord['counters']; ackedUpto: number; events?: { type: string }[] }> {
  return (await (await fetch(`http://127.0.0.1:${apiPort}/api/racks/rack-demo`)).json()) as { counters: RackRecord['counters']; ackedUpto: number };
}

/** Stored (non-duplicate) seqs are exactly 1..n, each once. */
function expectContiguous(seen: readonly { seq: number; dup: boolean }[]): number {
  const stored = seen.filter((s) => !s.dup).map((s) => s.seq).sort((a, b) => a - b);
  expect(stored).toEqual(Array.from({ length: stored.length }, (_, i) => i + 1));
  return stored.length;
}

/** `rackpilot agent --config cfg`, ready once `ready` matches its output; killed after the test if still running. */
async function agentProcess(cfg: string, ready: RegExp): ReturnType<typeof startCli> {
  const p = await startCli(['agent', '--config', cfg], ready);
  cleanup.push(async () => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return;
    p.child.kill('SIGKILL');
    await waitExit(p.child);
  });
  return p;
}

/**
 * The agent as a process (bundled CLI) with a spool, streaming to a recording hub through a
 * proxy; once `acked` batches are acked the line is cut, and for two seconds (~10 polls) the
 * agent only spools.
 */
async function agentProcessCutOff(acked: number) {
  const sim = await simulator();
  const { hub, seen } = await recordingHub();
  const proxy = await CuttableProxy.start(hub.address);
  cleanup.push(() => proxy.close());
  const dir = await tempDir('rp-agent-');
  const cfg = join(dir, 'rack.yaml');
  await writeFile(cfg, stringify(agentConfig(sim, `ws://127.0.0.1:${proxy.port}/agent`, join(dir, 'spool'))));
  const run1 = await agentProcess(cfg, /"msg":"agent started".*"metrics":\{"host":"127\.0\.0\.1","port":(\d+)\}/);
  await until(() => (hub.racks.get('rack-demo')?.ackedUpto() ?? 0) >= acked, { what: 'acked batches' });
  proxy.outage();
  await new Promise((r) => setTimeout(r, 2000));
  return { hub, seen, proxy, dir, cfg, run1 };
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`${name} not in metrics`);
  return Number(m[1]);
}

describe('durable delivery', () => {
  it('the hub is SIGKILLed for a few seconds while the agent streams: every sample arrives exactly once', async () => {
    const sim = await simulator();
    const state = await tempDir('rp-hubstate-');
    const first = await startCli(['hub', '--listen', '127.0.0.1:0', '--state-dir', state], /"url":"ws:\/\/127\.0\.0\.1:(\d+)\/agent"/);
    const port = Number(first.match[1]);
    const url = `ws://127.0.0.1:${port}/agent`;
    const agent = await startAgent(await resolveConfig(agentConfig(sim, url, await tempDir()), 'test', '.'), { log: nullLogger, drainMs: 5000 });
    cleanup.push(() => agent.stop());
    await until(() => agent.stats().batchesAcked >= 5, { what: 'acks before the kill' });
    first.child.kill('SIGKILL');
    await waitExit(first.child);
    const ackedAtKill = agent.stats().batchesAcked;
    await new Promise((r) => setTimeout(r, 2500)); // the hub is gone; the agent keeps polling and spooling
    expect(agent.stats().batchesAcked).toBe(ackedAtKill);
    expect(agent.spool!.stats().batches).toBeGreaterThanOrEqual(8);
    const second = await startCli(['hub', '--listen', `127.0.0.1:${port}`, '--state-dir', state], /"msg":"hub listening"/);
    cleanup.push(async () => {
      second.child.kill('SIGTERM');
      await waitExit(second.child);
    });
    expect(second.output()).toMatch(/"msg":"hub state restored".*"racks":1/);
    await until(() => agent.link!.state === 'up' && agent.spool!.stats().batches === 0 && agent.stats().batchesAcked > ackedAtKill + 12, { what: 'backlog drained after the restart', timeoutMs: 15_000 });
    await agent.stop();
    const sp = agent.spool!.stats();
    const rack = await rackJson(port);
    expect(rack.counters.batches).toBe(sp.appendedBatches); // every batch stored once, across the restart
    expect(rack.counters.samples).toBe(sp.appendedSamples);
    expect(rack.ackedUpto).toBe(agent.spool!.lastSeq);
    expect(rack.counters.historicalBatches).toBeGreaterThanOrEqual(8);
    expect(sp.droppedSamples + sp.lostBatches).toBe(0);
  });

  it('the agent is SIGKILLed while the hub is unreachable and restarted: its spool resumes the same stream; nothing acked is re-counted, nothing written is lost', async () => {
    const { hub, seen, proxy, cfg, run1 } = await agentProcessCutOff(5);
    const mport = Number(run1.match[1]);
    const lastSeq = await metric(mport, 'rackpilot_outbox_last_seq');
    const unacked = await metric(mport, 'rackpilot_outbox_batches');
    expect(unacked).toBeGreaterThanOrEqual(5);
    run1.child.kill('SIGKILL');
    await waitExit(run1.child);
    const storedBefore = hub.racks.get('rack-demo')!.counters.batches;

    proxy.restore();
    const run2 = await agentProcess(cfg, /"msg":"hub link up"/);
    await until(() => (hub.racks.get('rack-demo')?.ackedUpto() ?? 0) >= lastSeq + 5, { what: 'the spooled backlog and new batches', timeoutMs: 15_000 });
    run2.child.kill('SIGTERM');
    expect(await waitExit(run2.child)).toBe(0);
    const rack = hub.racks.get('rack-demo')!;
    expect(rack.streams.size).toBe(1); // the restarted agent resumed its stream
    const n = expectContiguous(seen);
    expect(n).toBeGreaterThanOrEqual(lastSeq + 5);
    expect(rack.counters.batches).toBe(n); // nothing stored twice
    expect(storedBefore).toBeLessThan(lastSeq);
    // everything the killed agent had written reached the hub, re-sent as historical
    const backlog = seen.filter((s) => !s.dup && s.seq > storedBefore && s.seq <= lastSeq);
    expect(backlog.length).toBe(lastSeq - storedBefore);
    expect(backlog.every((s) => s.historical && s.samples > 0)).toBe(true);
    expect(rack.events.some((e) => e.type.startsWith('spool.'))).toBe(false);
  });

  it('a spool damaged on disk between runs: the damaged batches reach the hub as a loss event, the rest intact', async () => {
    const { hub, seen, proxy, dir, cfg, run1 } = await agentProcessCutOff(3);
    run1.child.kill('SIGTERM');
    expect(await waitExit(run1.child)).toBe(0);
    // Flip a byte inside the catalog record and inside two neighbouring unacked batches.
    const segs = await segmentFiles(join(dir, 'spool'));
    const path = join(dir, 'spool', segs.at(-1)!);
    const bytes = await readFile(path);
    const records: { kind: string; start: number; end: number; seq: number }[] = [];
    scanAll(bytes, true, (p, start, end) => {
      const r = decodeSpoolRecord(p);
      records.push({ kind: r?.kind ?? '?', start, end, seq: r?.kind === 'batch' ? r.seq : 0 });
    }, () => {});
    const batches = records.filter((r) => r.kind === 'batch');
    const damaged = [batches.at(-3)!, batches.at(-2)!];
    for (const r of [records.find((x) => x.kind === 'catalog')!, ...damaged]) bytes[(r.start + r.end) >> 1] = (bytes[(r.start + r.end) >> 1] as number) ^ 0xff;
    await writeFile(path, bytes);

    proxy.restore();
    const run2 = await agentProcess(cfg, /"msg":"hub link up"/);
    const rack = await until(() => {
      const r = hub.racks.get('rack-demo');
      return r && r.events.some((e) => e.type === 'spool.lost') && r.ackedUpto() > 20 ? r : undefined;
    }, { what: 'loss event and progress', timeoutMs: 15_000 });
    run2.child.kill('SIGTERM');
    await waitExit(run2.child);
    expect(run2.output()).toMatch(/spool recovery: 3 damaged region\(s\) .* 2 batch\(es\) lost/);
    expectContiguous(seen); // the window moved past the damaged seqs
    const placeholders = seen.filter((s) => !s.dup && s.samples === 0).map((s) => s.seq);
    expect(placeholders).toEqual(damaged.map((d) => d.seq));
    expect(rack.events.find((e) => e.type === 'spool.lost')?.message).toMatch(new RegExp(`2 batch\\(es\\) from seq ${damaged[0]!.seq} were lost`));
    expect(rack.events.find((e) => e.type === 'spool.recovered_damage')?.severity).toBe('critical');
    // every other spooled batch arrived, with its samples
    expect(seen.filter((s) => !s.dup && s.seq <= batches.at(-1)!.seq && !placeholders.includes(s.seq)).every((s) => s.samples > 0)).toBe(true);
  });

  it('the disk fills up while the agent streams: polling and the link go on, batches are sent from memory, the disk is used again once it has room', async () => {
    const sim = await simulator();
    const { hub, seen } = await recordingHub();
    const fs = new FaultyFs();
    const raw = agentConfig(sim, hub.url, await tempDir());
    Object.assign(raw['spool'] as object, { memoryBytes: 1 << 20 });
    const agent = await startAgent(await resolveConfig(raw, 'test', '.'), { log: nullLogger, spoolFs: fs, drainMs: 3000 });
    cleanup.push(() => agent.stop());
    await until(() => agent.stats().batchesAcked >= 3);
    fs.fail.write = 'ENOSPC';
    const cycles = agent.stats().cycles;
    await until(() => agent.spool!.stats().degraded && agent.stats().cycles > cycles + 5, { what: 'degraded, still polling' });
    const ackedInDegraded = agent.stats().batchesAcked;
    await until(() => agent.stats().batchesAcked > ackedInDegraded + 3, { what: 'acks while the disk is full' });
    delete fs.fail.write;
    await until(() => !agent.spool!.stats().degraded, { what: 'disk used again', timeoutMs: 15_000 });
    await until(() => hub.racks.get('rack-demo')!.events.some((e) => e.type === 'spool.recovered'), { what: 'recovery event at the hub' });
    await agent.stop();
    expect(expectContiguous(seen)).toBe(agent.spool!.stats().appendedBatches);
    expect(hub.racks.get('rack-demo')!.events.map((e) => e.type)).toEqual(expect.arrayContaining(['spool.degraded', 'spool.recovered']));
  });
});
