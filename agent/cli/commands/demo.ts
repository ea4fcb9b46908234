// rackpilot demo [--scenario NAME] [--duration N] [--json] [--hub URL]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator } from '../../../hw-sim/run.js';
import { SCENARIOS } from '../../../hw-sim/scenarios/index.js';
import type { Scenario } from '../../../hw-sim/scenarios/types.js';
import { COMMAND_STATUS } from '../../../hub/api.js';
import { parseCommandBody } from '../../../hub/command-api.js';
import { startHub, type Hub } from '../../../hub/server.js';
import { resolveConfig } from '../../config/load.js';
import { startAgent, type Agent } from '../../main.js';
import { createLogger, type Logger } from '../../runtime/log.js';
import { VERSION } from '../../version.js';
import { EXIT_OK, UsageError } from '../args.js';
import { scenarioOf, type Command } from '../command.js';
import { demoSecurity, type DemoSecurity } from '../demo-security.js';
import { untilSignal } from '../signals.js';
import { configForSim } from '../sim-config.js';
import { hms, renderView, terminalFit } from '../view.js';

const AGENT_ID = 'rack-demo-agent';
const COMMAND_EVERY_MS = 5000;

/** Sends a signed ping through the hub every few seconds and keeps score for the view. */
class CommandTicker {
  sent = 0;
  ok = 0;
  refused = 0;
  last = 'none yet';
  private timer: NodeJS.Timeout | undefined;

  private lastSentAt = 0;

  /** The first command as soon as the agent is connected, then one every COMMAND_EVERY_MS. */
  start(hub: Hub, rack: string): void {
    this.timer = setInterval(() => {
      if (!hub.isConnected(rack) || Date.now() - this.lastSentAt < COMMAND_EVERY_MS) return;
      this.lastSentAt = Date.now();
      const n = ++this.sent;
      hub.command(rack, { ping: { payload: `signed ping #${n}` } }, { timeoutMs: COMMAND_EVERY_MS - 500 }).then((r) => {
        const ok = r !== undefined && COMMAND_STATUS[r.status] === 'ok';
        if (ok) this.ok++;
        else this.refused++;
        this.last = r ? `#${n} ${ok ? 'ok' : 'refused'}: ${r.message}` : `#${n} no answer`;
      }, (err: unknown) => (this.last = `#${n} not sent: ${(err as Error).message}`));
    }, 500);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  line(signed: boolean): string {
    return `commands: ${signed ? 'signed by the hub (Ed25519), verified by the agent' : 'unsigned (external hub)'} · ${this.ok} ok, ${this.refused} refused · last: ${this.last}`;
  }
}

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
    usage: 'rackpilot demo [--scenario NAME] [--duration N] [--json] [--hub URL]',
    flags: {
      duration: { type: 'number', value: 'SECONDS', help: 'stop after this many seconds (default: until Ctrl-C)' },
      json: { type: 'boolean', help: 'no live view; print one JSON summary at the end (needs --duration or Ctrl-C)' },
      hub: { type: 'string', value: 'URL', help: 'connect the agent to this hub instead of the embedded one' },
      scenario: { type: 'string', value: 'NAME', help: `scenario: ${[...SCENARIOS.keys()].join(', ')}`, default: 'demo' },
    },
    details: 'Everything runs on loopback with no external services. Certificates and keys are made fresh in a temp directory\n(mutual TLS needs openssl; without it the demo says so and runs without TLS). The summary has samplesSent and samplesAcked.',
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

    const dir = await mkdtemp(join(tmpdir(), 'rackpilot-demo-'));
    const sim = await startSimulator(scenario, { basePort: 0 });
    let hub: Hub | undefined;
    let agent: Agent | undefined;
    const ticker = new CommandTicker();
    try {
      let sec: DemoSecurity | undefined;
      if (external === undefined) {
        sec = await demoSecurity(dir, AGENT_ID);
        hub = await startHub({ host: '127.0.0.1', port: 0, log: log.child({ component: 'hub' }), ...sec.hub, api: { host: '127.0.0.1', port: 0 }, stateDir: join(dir, 'hub-state') });
      }
      const hubUrl = typeof external === 'string' ? external : (hub as Hub).url;
      const raw = configForSim(sim.endpoints, { hubUrl, metricsListen: '127.0.0.1:0', agentId: AGENT_ID, scenario });
      Object.assign(raw, { hub: { url: hubUrl, ...sec?.agentHub }, spool: { dir: join(dir, 'spool') } });
      const loaded = await resolveConfig(raw, '(demo config)', process.cwd());
      const color = !asJson && io.out.isTTY === true;
      const notes = (): string[] => [
        sec?.note ?? 'link: external hub',
        ticker.line(sec !== undefined),
        `spool: ${join(dir, 'spool')} (removed when the demo stops)`,
      ];
      const draw = (): void => {
        if (asJson || !agent) return;
        const heading = { program: 'rackpilot demo', parts: [`${scenario.name}: ${scenario.description}`, hms((Date.now() - started) / 1000), 'Ctrl-C stops'] };
        const frame = renderView({ status: agent.status(), heading, color, width: io.out.columns ?? 120, ...terminalFit(io), logLines: tail.lines, hubNotes: notes() });
        io.out.write(io.out.isTTY ? `\x1b[H\x1b[2J${frame}` : `${frame}\n`);
      };
      agent = await startAgent(loaded, { log: log.child({ component: 'agent' }) });
      if (hub) ticker.start(hub, 'rack-demo');
      const hubTimers = hub ? replayHubCommands(hub, scenario, log) : [];
      const viewTimer = setInterval(draw, 1000);
      draw();
      const stopAll = async (): Promise<void> => {
        clearInterval(viewTimer);
        ticker.stop();
        for (const t of hubTimers) clearTimeout(t);
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
        security: { tls: hubUrl.startsWith('wss://'), mutualTls: sec?.mutualTls ?? false, signedCommands: sec !== undefined, note: sec?.note ?? '' },
        commands: { sent: ticker.sent, ok: ticker.ok, refused: ticker.refused, agentAccepted: agent.commands.stats.accepted, agentRejected: agent.commands.stats.rejected },
        controlActions: agent.control?.runner.stats.actions ?? 0,
        breakerTrips: sim.sim.trips.length,
        version: VERSION,
      };
      if (asJson) io.out.write(JSON.stringify(summary) + '\n');
      else io.out.write(`\nstopped: ${summary.samplesSent} samples sent, ${summary.samplesAcked} acked by the hub\n`);
      return EXIT_OK;
    } finally {
      ticker.stop();
      await agent?.stop('demo stopping');
      await hub?.close();
      await sim.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

/** Sends the scenario's hub commands (leases, grid events) through the embedded hub on time. */
function replayHubCommands(hub: Hub, scenario: Scenario, log: Logger): NodeJS.Timeout[] {
  return (scenario.hub ?? []).flatMap((e) => {
    if (!('command' in e)) return []; // outages need a link to cut: exercised in test/e2e/control.test.ts
    const parsed = parseCommandBody(e.command);
    if ('error' in parsed) {
      log.warn('scenario hub command is malformed', { reason: parsed.error });
      return [];
    }
    return [setTimeout(() => {
      const rack = [...hub.racks.keys()][0];
      if (rack) hub.command(rack, parsed.action, { ttlMs: parsed.ttlMs }).catch((err: unknown) => log.warn('scenario hub command not delivered', { reason: (err as Error).message }));
    }, e.atS * 1000)];
  });
}
