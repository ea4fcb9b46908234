// rackpilot diag selftest --config FILE [--actuators [--outlets]] [--yes] [--json]
import type { LoadedConfig } from '../../config/load.js';
import { loadConfig } from '../../config/load.js';
import type { StatusSnapshot } from '../../local-api/status.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from '../args.js';
import { checkTable, countOf, summaryLine } from '../check-table.js';
import { configFlag, type Command, type Io } from '../command.js';
import { apiAddressOfConfig, apiLabel, fetchStatus } from '../local-api.js';
import { confirm } from '../miner-target.js';
import { withProgress } from '../progress.js';
import { runSelftest, type SelftestResult } from '../selftest/run.js';
import type { DeviceFacts } from '../selftest/types.js';

/** The running agent's status, if one answers where the config says it listens. */
export async function runningAgent(loaded: LoadedConfig): Promise<StatusSnapshot | undefined> {
  try {
    return await fetchStatus(apiAddressOfConfig(loaded), 1500);
  } catch {
    return undefined;
  }
}

/** Facts as plain JSON (outlet maps become objects keyed by outlet number). */
export function factsJson(f: DeviceFacts): unknown {
  const { pdu, ...rest } = f;
  return pdu ? { ...rest, pdu: { outletW: Object.fromEntries(pdu.outletW), outletOn: Object.fromEntries(pdu.outletOn) } } : rest;
}

function agentLine(agent: StatusSnapshot | undefined, loaded: LoadedConfig): string {
  if (!agent) return 'the agent is not running: every device is tested directly';
  let where = '';
  try {
    where = ` on ${apiLabel(apiAddressOfConfig(loaded))}`;
  } catch {
    // the address was found, so this cannot fail here
  }
  return `the agent is running (pid ${agent.agent.pid}${where}): read-only checks run alongside it; devices on a serial port are shown as the agent sees them (it holds the port); actuators need it stopped`;
}

function print(io: Io, path: string, loaded: LoadedConfig, agent: StatusSnapshot | undefined, res: SelftestResult, flags: Record<string, unknown>): void {
  io.out.write(`rackpilot diag selftest — ${path}: ${loaded.config.devices.length} devices\n${agentLine(agent, loaded)}\n\n`);
  io.out.write(checkTable(res.rows, io.out.isTTY));
  io.out.write(`\n${summaryLine(res.rows)}\n`);
  if (flags['actuators'] !== true) io.out.write('actuators were not exercised: add --actuators (with the agent stopped) to lower each miner target and GPU limit a little and put it back\n');
  else if (flags['outlets'] !== true) io.out.write('outlets were not switched: switching one cuts its load at once; --outlets switches only idle outlets off and on\n');
}

export const diagSelftestCommand: Command = {
  spec: {
    name: 'diag selftest',
    summary: 'check every configured device: reachable, the right one, plausible, wired as configured',
    usage: 'rackpilot diag selftest --config FILE [--actuators [--outlets]] [--yes] [--json]',
    flags: {
      config: { type: 'string', value: 'FILE', help: 'the agent config whose devices to test', short: 'c' },
      actuators: { type: 'boolean', help: 'also exercise actuators gently and put them back: miner targets and GPU limits 5 % lower, then back (asks first; needs the agent stopped)' },
      outlets: { type: 'boolean', help: 'with --actuators: also switch idle outlets (on, under 50 W) off and on; outlets carrying a load are never switched' },
      yes: { type: 'boolean', short: 'y', help: 'do not ask before exercising actuators' },
      json: { type: 'boolean', help: 'print {"ok", "counts", "rows": [...], "devices": [...]} as JSON' },
    },
    details: 'For every device: does it answer (reach), is it the device the config says (identity registers, firmware,\n' +
      'GPU count), does it take the configured credentials, are its readings physically plausible; then for every load\n' +
      'with a feed outlet, whether that outlet carries what the load says it draws (wiring). A table with the reason\n' +
      'for each failure and a fix. Read-only checks may run while the agent runs; devices on a serial port are then\n' +
      'shown as the agent sees them (it holds the port). Exit 0 no failure, 1 a check failed, 2 bad usage or config.',
  },
  async run(flags, _p, io) {
    const path = configFlag(flags);
    if (flags['outlets'] === true && flags['actuators'] !== true) throw new UsageError('--outlets goes with --actuators');
    if (flags['json'] === true && flags['actuators'] === true && flags['yes'] !== true) throw new UsageError('--json with --actuators needs --yes (nothing can be asked)');
    const loaded = await loadConfig(path);
    const agent = await runningAgent(loaded);
    if (agent && flags['actuators'] === true) {
      io.err.write(`rackpilot diag selftest: the agent is running (pid ${agent.agent.pid}); its controller drives the same actuators and would fight the test. Stop it first (systemctl stop rackpilot), or leave out --actuators.\n`);
      return EXIT_USAGE;
    }
    const res = await withProgress(io.err, (progress) => runSelftest({
      loaded, ...(agent ? { agent } : {}), actuators: flags['actuators'] === true, outlets: flags['outlets'] === true, progress,
      confirm: async (plan) => {
        if (flags['yes'] === true) return true;
        progress.done(); // no progress line over the question
        io.out.write(`--actuators will, one at a time:\n${plan.map((l) => `  ${l}`).join('\n')}\n`);
        const yes = await confirm(io, 'go ahead?');
        progress.tick();
        return yes;
      },
    }));
    const counts = countOf(res.rows);
    if (flags['json'] === true) {
      io.out.write(JSON.stringify({ config: path, agentRunning: agent !== undefined, ok: counts.fail === 0, counts, rows: res.rows, devices: res.devices.map(factsJson) }, null, 2) + '\n');
    } else {
      print(io, path, loaded, agent, res, flags);
    }
    return counts.fail === 0 ? EXIT_OK : EXIT_FAILURE;
  },
};
