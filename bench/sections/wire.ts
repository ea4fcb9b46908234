// wire.*: bytes on the WebSocket per numeric sample in steady state, the real agent streaming
// the simulated PDU (24 outlets, 115 series) to the reference hub, against the same samples as
// the obvious JSON (one object per sample with its names, unit, time and value).
// WebSocket framing is counted: each agent→hub frame adds a 4-byte header and a 4-byte mask.
import { resolveConfig } from '../../agent/config/load.js';
import { configForSim } from '../../agent/cli/sim-config.js';
import { startAgent } from '../../agent/main.js';
import { nullLogger } from '../../agent/runtime/log.js';
import type { pb } from '../../protocols/wire/codec.js';
import { startHub } from '../../hub/server.js';
import { startSimulator } from '../../hw-sim/run.js';
import { demo } from '../../hw-sim/scenarios/demo.js';
import type { Section } from '../harness.js';
import { round } from '../harness.js';

const WS_CLIENT_FRAME_OVERHEAD = 8; // 2-byte header + 2-byte extended length (126–65535 B) + 4-byte mask

export const wire: Section = {
  name: 'wire: steady-state cost per sample',
  prefixes: ['wire.'],
  targets: { 'wire.bytes_per_sample': { op: '<=', value: 8 } },
  notes: { 'wire.bytes_per_sample': 'B/sample incl. WS framing', 'wire.json_bytes_per_sample': 'B/sample, same data as JSON' },
  async run() {
    const sim = await startSimulator(demo, { basePort: 0 });
    let jsonBytes = 0;
    let jsonSamples = 0;
    let measuring = false;
    const hub = await startHub({
      host: '127.0.0.1', port: 0, log: nullLogger,
      onBatch: (rack, b, dup) => {
        if (!measuring || dup || b.historical) return;
        const cat = rack.catalogs.get(b.catalogVersion)!;
        const samples: unknown[] = [];
        for (const g of b.groups as pb.SampleGroup[]) {
          let alias = 0;
          g.aliasDeltas.forEach((d, i) => {
            alias += d;
            const s = cat.get(alias)!;
            samples.push({ device: s.device, quantity: s.quantity, channel: s.channel, unit: s.unit, time: b.baseTimeMs + g.timeOffsetMs, value: (g.values[i] ?? 0) * 10 ** s.scaleExp });
          });
        }
        jsonBytes += Buffer.byteLength(JSON.stringify({ agent: rack.hello.agentId, seq: b.seq, samples }));
        jsonSamples += samples.length;
      },
    });
    const raw = configForSim(sim.endpoints, { hubUrl: hub.url, metricsListen: '127.0.0.1:0', intervalMs: 100 });
    const agent = await startAgent(await resolveConfig(raw, 'bench', '.'), { log: nullLogger });
    try {
      const waitCycles = async (n: number): Promise<void> => {
        const target = agent.stats().cycles + n;
        while (agent.stats().cycles < target) await new Promise((r) => setTimeout(r, 20));
      };
      await waitCycles(5); // Hello and first batches out of the way
      const s0 = { ...agent.link!.stats };
      measuring = true;
      await waitCycles(50);
      const s1 = { ...agent.link!.stats };
      measuring = false;
      const frames = s1.framesSent - s0.framesSent;
      const bytes = s1.bytesSent - s0.bytesSent + frames * WS_CLIENT_FRAME_OVERHEAD;
      const samples = s1.samplesSent - s0.samplesSent;
      return {
        'wire.bytes_per_sample': round(bytes / samples),
        'wire.json_bytes_per_sample': round(jsonBytes / jsonSamples),
        'wire.samples_per_batch': round(samples / frames, 1),
      };
    } finally {
      await agent.stop();
      await hub.close();
      await sim.stop();
    }
  },
};
