// rackpilot diag hub --config FILE [--timeout MS] [--json]
import { loadConfig } from '../../config/load.js';
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../args.js';
import { checkTable, countOf, summaryLine } from '../check-table.js';
import { configFlag, type Command } from '../command.js';
import { probeHub } from '../hub-probe.js';
import { apiAddressOfConfig, fetchStatus } from '../local-api.js';
import { withProgress } from '../progress.js';

/** What the running agent's own link says, when it answers on its local API. */
async function runningLink(loaded: Awaited<ReturnType<typeof loadConfig>>): Promise<string | undefined> {
  try {
    const s = await fetchStatus(apiAddressOfConfig(loaded), 1500);
    if (!s.hub) return 'the running agent has no hub link';
    return `the running agent's link: ${s.hub.state}${s.hub.state !== 'up' && s.hub.lastError ? ` (last error: ${s.hub.lastError})` : ''}, backlog ${s.hub.backlog.batches} batches`;
  } catch {
    return undefined;
  }
}

export const diagHubCommand: Command = {
  spec: {
    name: 'diag hub',
    summary: 'check the way to the hub: DNS, TCP, TLS, auth, round trip',
    usage: 'rackpilot diag hub --config FILE [--timeout MS] [--json]',
    flags: {
      config: { type: 'string', value: 'FILE', help: 'agent config: its hub section (url, tls, tokenFile)', short: 'c' },
      timeout: { type: 'number', value: 'MS', help: 'per step (default: hub.connectTimeoutMs)' },
      json: { type: 'boolean', help: 'print {"url", "ok", "steps": [{subject, check, status, detail, fix}]}' },
    },
    details: 'Checks, in order: the credential files, the client certificate against agent.id, DNS, TCP, TLS (the hub\'s\n' +
      'certificate against hub.tls.ca, and the hub accepting ours), the hub\'s clock against this one, the WebSocket\n' +
      'upgrade with the agent\'s token or certificate (401 = refused), and a ping round trip. Stops at the first step\n' +
      'that fails, with what to do. It never sends a Hello, so the hub does not mistake it for the agent (a Hello\n' +
      'would replace the running agent\'s connection). Safe while the agent runs. Exit 0 all passed, 1 a step failed.',
  },
  async run(flags, _p, io) {
    const path = configFlag(flags);
    const timeout = flags['timeout'];
    if (timeout !== undefined && !(Number(timeout) >= 100 && Number(timeout) <= 120_000)) throw new UsageError('--timeout must be 100–120000 ms');
    const loaded = await loadConfig(path);
    const hub = loaded.config.hub;
    if (!hub) throw new UsageError(`${path} has no hub: section, so the agent does not connect to a hub`);
    const rows = await withProgress(io.err, (progress) => probeHub({
      hub, agentId: loaded.config.agent.id, baseDir: loaded.baseDir, ...(timeout !== undefined ? { timeoutMs: Number(timeout) } : {}),
      onStep: (step) => progress.update(`checking the hub: ${step}`),
    }));
    const ok = countOf(rows).fail === 0;
    if (flags['json'] === true) {
      io.out.write(JSON.stringify({ url: hub.url, ok, steps: rows }, null, 2) + '\n');
      return ok ? EXIT_OK : EXIT_FAILURE;
    }
    const failed = rows.find((r) => r.status === 'fail');
    io.out.write(`rackpilot diag hub — ${hub.url} as agent ${loaded.config.agent.id}\n`);
    io.out.write(checkTable(rows, io.out.isTTY, 'TARGET'));
    io.out.write(`${summaryLine(rows)}${failed ? ` — first failure: ${failed.check}` : ' — the hub is reachable and accepts this agent'}\n`);
    const link = await runningLink(loaded);
    if (link) io.out.write(`${link}\n`);
    return ok ? EXIT_OK : EXIT_FAILURE;
  },
};
