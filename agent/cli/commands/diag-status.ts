// rackpilot diag status [--config FILE | --api HOST:PORT | --socket PATH] [--json | --once]
import type { StatusSnapshot } from '../../local-api/status.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../args.js';
import type { Command, Io } from '../command.js';
import { API_FLAGS, apiAddressOf, apiLabel, fetchLogs, fetchStatus, type ApiAddress } from '../local-api.js';
import { untilSignal } from '../signals.js';
import { ago, renderView, terminalFit } from '../view.js';

const REFRESH_MS = 1000;

/** "14:03:22 warn spool write failed: EIO" from one of the agent's JSON log lines. */
function logText(line: string): string {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const str = (v: unknown): string => (typeof v === 'string' ? v : v !== null && typeof v === 'object' && 'message' in v ? String(v.message) : v === undefined ? '' : JSON.stringify(v));
  const extra = ['reason', 'err', 'device', 'detail'].filter((k) => r[k] !== undefined).map((k) => str(r[k]));
  return `${str(r['ts']).slice(11, 19)} ${str(r['level'])} ${str(r['msg'])}${extra.length ? `: ${extra.join(': ')}` : ''}`;
}

function frame(s: StatusSnapshot, address: ApiAddress, io: Io, logLines: readonly string[], live: boolean): string {
  const color = io.out.isTTY === true && !process.env['NO_COLOR'] && process.env['TERM'] !== 'dumb';
  const parts = [
    `${s.agent.rack} (agent ${s.agent.id} ${s.agent.version}, up ${ago(s.timeMs - s.agent.startedAtMs)})`,
    apiLabel(address), new Date(s.timeMs).toISOString().slice(11, 19) + ' UTC', ...(live ? ['Ctrl-C stops'] : []),
  ];
  return renderView({ status: s, heading: { program: 'rackpilot diag status', parts }, color, width: io.out.columns ?? 120, ...terminalFit(io), logLines });
}

/** Redraws every second until Ctrl-C. A terminal gets each frame on a cleared screen; anything else frames one after another. */
async function live(address: ApiAddress, io: Io): Promise<number> {
  const redraw = io.out.isTTY === true && process.env['TERM'] !== 'dumb';
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: () => void = () => {};
  let lastFrame = '';
  let downSince: number | undefined;
  const stop = untilSignal(async () => {
    stopped = true;
    clearTimeout(timer);
    wake();
  });
  while (!stopped) {
    try {
      const s = await fetchStatus(address);
      const logs = await fetchLogs(address, { n: 3, level: 'warn' }).catch(() => []);
      lastFrame = frame(s, address, io, logs.map(logText), true);
      downSince = undefined;
      io.out.write(redraw ? `\x1b[H\x1b[2J${lastFrame}` : `${lastFrame}\n`);
    } catch (err) {
      const first = downSince === undefined;
      downSince ??= Date.now();
      const note = `!! ${(err as Error).message} — since ${new Date(downSince).toISOString().slice(11, 19)} UTC, retrying every second\n`;
      if (redraw) io.out.write(`\x1b[H\x1b[2J${note}\n${lastFrame}`);
      else if (first) io.out.write(note);
    }
    if (stopped) break;
    await new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, REFRESH_MS);
    });
  }
  await stop;
  return EXIT_OK;
}

export const diagStatusCommand: Command = {
  spec: {
    name: 'diag status',
    summary: 'live view of the running agent: circuits, devices, control, hub link',
    usage: 'rackpilot diag status [--config FILE | --api HOST:PORT | --socket PATH] [--json | --once]',
    flags: {
      ...API_FLAGS,
      json: { type: 'boolean', help: 'print one status snapshot as JSON and exit' },
      once: { type: 'boolean', help: 'print one frame of the view and exit (no screen clearing)' },
    },
    details: 'Reads the running agent\'s local API (GET /status and /logs; read-only, it changes nothing) and redraws\n' +
      'every second until Ctrl-C: per-phase current against its limit, rack power against its cap, every device\n' +
      'with its health, newest reading and what is wrong, lease and grid events, the controller\'s latest decisions,\n' +
      'the hub link and the spool backlog. A terminal gets colours and a cleared screen per frame (no alternate\n' +
      'screen); anything else gets plain frames one after another. Exit 1 when no agent answers.',
  },
  async run(flags, _p, io) {
    if (flags['json'] === true && flags['once'] === true) throw new UsageError('give --json or --once, not both');
    const { address } = await apiAddressOf(flags);
    let first: StatusSnapshot;
    try {
      first = await fetchStatus(address);
    } catch (err) {
      io.err.write(`rackpilot diag status: ${(err as Error).message}\n`);
      return EXIT_FAILURE;
    }
    if (flags['json'] === true) {
      io.out.write(JSON.stringify(first, null, 2) + '\n');
      return EXIT_OK;
    }
    if (flags['once'] === true) {
      const logs = await fetchLogs(address, { n: 3, level: 'warn' }).catch(() => []);
      io.out.write(frame(first, address, io, logs.map(logText), false));
      return EXIT_OK;
    }
    return live(address, io);
  },
};
