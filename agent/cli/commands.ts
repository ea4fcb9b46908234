// The rackpilot subcommands. Each returns its exit code; main() maps thrown UsageError and
// ConfigError to 2 and anything else to 1.

import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { startSimulator } from '../../hw-sim/run.js';
import { SCENARIOS } from '../../hw-sim/scenarios/index.js';
import { startHub, type Hub } from '../../hub/server.js';
import { loadConfig, resolveConfig } from '../config/load.js';
import { parseHostPort } from '../config/shape.js';
import { startAgent, type Agent } from '../main.js';
import { createLogger, LEVELS, type Level, type Logger } from '../runtime/log.js';
import { VERSION } from '../version.js';
import { EXIT_OK, UsageError, type CommandSpec, type Flags } from './args.js';
import { untilSignal } from './signals.js';
import { configForSim } from './sim-config.js';
import { renderView } from './view.js';

export interface Io {
  readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly err: NodeJS.WritableStream;
}

export interface Command {
  readonly spec: CommandSpec;
  run(flags: Flags, positionals: string[], io: Io): Promise<number>;
}

function level(flags: Flags, fallback: Level): Level {
  const l = flags['log-level'];
  if (l === undefined) return fallback;
  if (!(LEVELS as readonly unknown[]).includes(l)) throw new UsageError(`--log-level must be one of ${LEVELS.join(', ')}`);
  return l as Level;
}

function scenarioOf(name: unknown): NonNullable<ReturnType<typeof SCENARIOS.get>> {
  const s = SCENARIOS.get(String(name));
  if (!s) throw new UsageError(`unknown scenario "${String(name)}"; known: ${[...SCENARIOS.keys()].join(', ')}`);
  return s;
}

const logLevelFlag = { type: 'string', value: 'LEVEL', help: `log level: ${LEVELS.join(', ')}` } as const;

export const agentCommand: Command = {
  spec: {
    name: 'agent',
    summary: 'run the rack agent',
    usage: 'rackpilot agent --config FILE',
    flags: { config: { type: 'string', value: 'FILE', help: 'agent config (YAML)', short: 'c' }, 'log-level': logLevelFlag },
    details: 'Polls the configured devices, streams telemetry to the hub and serves GET /metrics.\nLogs are JSON lines on stderr. SIGINT/SIGTERM stop it cleanly.',
  },
  async run(flags) {
    const path = flags['config'];
    if (typeof path !== 'string') throw new UsageError('--config FILE is required');
    const loaded = await loadConfig(path);
    const log = createLogger({ level: level(flags, loaded.config.log.level) });
    const agent = await startAgent(loaded, { log });
    await untilSignal((sig) => agent.stop(`signal ${sig}`));
    return EXIT_OK;
  },
};

export const configCheckCommand: Command = {
  spec: {
    name: 'config check',
    summary: 'validate an agent config without starting',
    usage: 'rackpilot config check FILE',
    flags: {},
    positionals: [{ name: 'FILE', help: 'agent config (YAML)', required: true }],
    details: 'Prints one line per problem: file: path: reason. Exit 0 when valid, 2 when not.',
  },
  async run(_flags, positionals, io) {
    const path = positionals[0] as string;
    const loaded = await loadConfig(path);
    const c = loaded.config;
    io.out.write(`${path}: ok — agent ${c.agent.id} (site ${c.agent.site}, rack ${c.agent.rack}), ${c.devices.length} device(s), poll every ${c.poll.intervalMs} ms, hub ${c.hub?.url ?? 'none'}\n`);
    return EXIT_OK;
  },
};

export const hubCommand: Command = {
  spec: {
    name: 'hub',
    summary: 'run the reference hub',
    usage: 'rackpilot hub [--listen HOST:PORT]',
    flags: {
      listen: { type: 'string', value: 'HOST:PORT', help: 'address for agents (ws://…/agent) and the HTTP API', default: '127.0.0.1:8700' },
      'max-payload': { type: 'number', value: 'BYTES', help: 'largest frame accepted from an agent', default: 1 << 20 },
      'log-level': logLevelFlag,
    },
    details: 'HTTP API: GET /metrics, GET /api/racks, GET /api/racks/{id}, POST /api/racks/{id}/commands {"action":"ping"|"rebirth"}.',
  },
  async run(flags) {
    const hp = parseHostPort(String(flags['listen']));
    if (!hp) throw new UsageError(`--listen must be HOST:PORT (got "${String(flags['listen'])}")`);
    const max = Number(flags['max-payload']);
    if (!(max >= 1024)) throw new UsageError('--max-payload must be at least 1024');
    const hub = await startHub({ host: hp.host, port: hp.port, log: createLogger({ level: level(flags, 'info') }), maxPayloadBytes: max });
    await untilSignal(() => hub.close());
    return EXIT_OK;
  },
};

export const simCommand: Command = {
  spec: {
    name: 'sim',
    summary: 'run the hardware simulator',
    usage: 'rackpilot sim [--scenario NAME] [--port-base PORT] [--write-config FILE]',
    flags: {
      scenario: { type: 'string', value: 'NAME', help: `scenario: ${[...SCENARIOS.keys()].join(', ')}`, default: 'demo' },
      host: { type: 'string', value: 'HOST', help: 'address the simulated devices listen on', default: '127.0.0.1' },
      'port-base': { type: 'number', value: 'PORT', help: 'first device port (devices take consecutive ports; 0 = any free)', default: 5020 },
      speed: { type: 'number', value: 'X', help: 'simulated seconds per real second', default: 1 },
      'write-config': { type: 'string', value: 'FILE', help: 'write an agent config for these devices' },
      hub: { type: 'string', value: 'URL', help: 'hub URL to put in the written config', default: 'ws://127.0.0.1:8700/agent' },
    },
    details: 'Prints the devices and where they listen (JSON), then runs until Ctrl-C.',
  },
  async run(flags, _p, io) {
    const scenario = scenarioOf(flags['scenario']);
    const speed = Number(flags['speed']);
    if (!(speed > 0 && speed <= 1000)) throw new UsageError('--speed must be in (0, 1000]');
    const running = await startSimulator(scenario, { host: String(flags['host']), basePort: Number(flags['port-base']), speed });
    io.out.write(JSON.stringify({ scenario: scenario.name, devices: running.endpoints }) + '\n');
    const out = flags['write-config'];
    if (typeof out === 'string') {
      const cfg = configForSim(running.endpoints, { hubUrl: String(flags['hub']) });
      await writeFile(out, `# Agent config for rackpilot sim --scenario ${scenario.name} (written by rackpilot sim --write-config)\n${stringify(cfg)}`);
      io.err.write(`wrote ${out}\n`);
    }
    await untilSignal(() => running.stop());
    return EXIT_OK;
  },
};

/** Log sink for the demo: keeps warnings for the live view instead of scribbling on it. */
class LogTail {
  readonly lines: string[] = [];
  write(line: string): void {
    try {
      const r = JSON.parse(line) as { level?: string; msg?: string; reason?: string; err?: string };
      this.lines.push(`${r.level ?? ''} ${r.msg ?? ''}${r.reason ? `: ${r.reason}` : ''}${r.err ? `: ${r.err}` : ''}`);
    } catch {
      this.lines.push(line.trim());
    }
    if (this.lines.length > 20) this.lines.shift();
  }
}

export const demoCommand: Command = {
  spec: {
    name: 'demo',
    summary: 'simulator + hub + agent, with a live view',
    usage: 'rackpilot demo [--duration N] [--json] [--hub URL]',
    flags: {
      duration: { type: 'number', value: 'SECONDS', help: 'stop after this many seconds (default: until Ctrl-C)' },
      json: { type: 'boolean', help: 'no live view; print one JSON summary at the end (needs --duration or Ctrl-C)' },
      hub: { type: 'string', value: 'URL', help: 'connect the agent to this hub instead of the embedded one' },
      scenario: { type: 'string', value: 'NAME', help: `scenario: ${[...SCENARIOS.keys()].join(', ')}`, default: 'demo' },
    },
    details: 'Everything runs on loopback with no external services. The summary has samplesSent and samplesAcked.',
  },
  async run(flags, _p, io) {
    const duration = flags['duration'];
    if (duration !== undefined && !(Number(duration) > 0)) throw new UsageError('--duration must be a positive number of seconds');
    const external = flags['hub'];
    if (external !== undefined && !/^wss?:\/\/\S+$/.test(String(external))) throw new UsageError('--hub must be a ws:// or wss:// URL');
    const scenario = scenarioOf(flags['scenario']);
    const asJson = flags['json'] === true;
    const tail = new LogTail();
    const log: Logger = createLogger({ level: 'warn', sink: tail });
    const started = Date.now();

    const sim = await startSimulator(scenario, { basePort: 0 });
    let hub: Hub | undefined;
    let agent: Agent | undefined;
    try {
      if (external === undefined) hub = await startHub({ host: '127.0.0.1', port: 0, log: log.child({ component: 'hub' }) });
      const hubUrl = typeof external === 'string' ? external : (hub as Hub).url;
      const raw = configForSim(sim.endpoints, { hubUrl, metricsListen: '127.0.0.1:0' });
      const loaded = await resolveConfig(raw, '(demo config)', process.cwd());
      const color = !asJson && io.out.isTTY === true;
      const draw = (): void => {
        if (asJson || !agent) return;
        const frame = renderView({ agent, title: `${scenario.name}: ${scenario.description}`, hubUrl, elapsedS: (Date.now() - started) / 1000, color, width: io.out.columns ?? 120, logLines: tail.lines });
        io.out.write(io.out.isTTY ? `\x1b[H\x1b[2J${frame}` : `${frame}\n`);
      };
      agent = await startAgent(loaded, { log: log.child({ component: 'agent' }) });
      const viewTimer = setInterval(draw, 1000);
      draw();
      const stopAll = async (): Promise<void> => {
        clearInterval(viewTimer);
        await agent?.stop('demo stopping');
      };
      if (duration !== undefined) {
        await Promise.race([new Promise((r) => setTimeout(r, Number(duration) * 1000)), untilSignal(async () => {})]);
        await stopAll();
      } else {
        await untilSignal(stopAll);
      }
      const st = agent.stats();
      const summary = {
        scenario: scenario.name,
        durationS: Math.round((Date.now() - started) / 100) / 10,
        hub: hubUrl,
        embeddedHub: hub !== undefined,
        samplesSent: st.samplesSent,
        samplesAcked: st.samplesAcked,
        batchesSent: st.batchesSent,
        batchesAcked: st.batchesAcked,
        samplesProduced: st.samplesProduced,
        droppedSamples: st.droppedSamples,
        pollCycles: st.cycles,
        overruns: st.overruns,
        rackPowerW: agent.rack.summary(Date.now()).powerW,
        hubRacks: hub ? [...hub.racks.values()].map((r) => ({ rack: r.id, samples: r.counters.samples, duplicates: r.counters.duplicates })) : [],
        events: agent.recentEvents.length,
        version: VERSION,
      };
      if (asJson) io.out.write(JSON.stringify(summary) + '\n');
      else io.out.write(`\nstopped: ${summary.samplesSent} samples sent, ${summary.samplesAcked} acked by the hub\n`);
      return EXIT_OK;
    } finally {
      await agent?.stop('demo stopping');
      await hub?.close();
      await sim.stop();
    }
  },
};

export const COMMANDS: readonly Command[] = [agentCommand, simCommand, hubCommand, demoCommand, configCheckCommand];
