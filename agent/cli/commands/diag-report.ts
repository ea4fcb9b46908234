// rackpilot diag report --config FILE [--out FILE] [--no-probe]
import { readFile, writeFile } from 'node:fs/promises';
import { arch, hostname, release, type, uptime } from 'node:os';
import { dirname, resolve } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig, resolveConfig, type LoadedConfig } from '../../config/load.js';
import { ConfigError } from '../../config/shape.js';
import { parseYaml } from '../../config/yaml.js';
import type { StatusSnapshot } from '../../local-api/status.js';
import { VERSION } from '../../version.js';
import { EXIT_FAILURE, EXIT_OK } from '../args.js';
import { countOf } from '../check-table.js';
import { configFlag, type Command } from '../command.js';
import { apiAddressOfConfig, apiGet, fetchLogs } from '../local-api.js';
import { withProgress } from '../progress.js';
import { redactConfig } from '../redact.js';
import { runSelftest } from '../selftest/run.js';
import { tarGz, type TarEntry } from '../tar.js';
import { factsJson, runningAgent } from './diag-selftest.js';

interface Part {
  readonly file: string;
  readonly data: string;
  /** One line for the summary: what it holds. */
  readonly what: string;
}

/** The config with its secrets replaced, and what validating that copy says. Never the original text. */
async function configParts(path: string): Promise<{ parts: Part[]; missing: string[]; loaded?: LoadedConfig }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return { parts: [], missing: [`config.yaml: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`] };
  }
  let raw: unknown;
  try {
    raw = parseYaml(text, path);
  } catch (err) {
    // Not YAML: nothing can be told apart from a secret, so nothing of it goes in.
    return { parts: [{ file: 'config-check.txt', data: `${(err as Error).message}\n`, what: 'why the config is not included (not valid YAML)' }], missing: ['config.yaml: not valid YAML, left out (it could not be redacted)'] };
  }
  const red = redactConfig(raw);
  let check = 'valid\n';
  let loaded: LoadedConfig | undefined;
  try {
    // The redacted copy is what is validated: an error message can then quote no secret.
    await resolveConfig(red.value, path, dirname(resolve(path)));
    loaded = await loadConfig(path);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    check = `${err.message}\n`;
  }
  const parts: Part[] = [
    { file: 'config.yaml', data: `# ${path}, secrets replaced by [REDACTED]: ${red.paths.join(', ') || 'none found'}\n${stringify(red.value)}`, what: `the config, ${red.paths.length} secret value(s) replaced` },
    { file: 'config-check.txt', data: check, what: check === 'valid\n' ? 'config check: valid' : 'config check: the problems found' },
  ];
  return { parts, missing: [], ...(loaded ? { loaded } : {}) };
}

/** What the running agent says about itself: status, decisions, logs, metrics. */
async function agentParts(loaded: LoadedConfig, status: StatusSnapshot): Promise<{ parts: Part[]; missing: string[] }> {
  const address = apiAddressOfConfig(loaded);
  const parts: Part[] = [
    { file: 'status.json', data: JSON.stringify(status, null, 2) + '\n', what: 'the running agent\'s status snapshot' },
    { file: 'events.json', data: JSON.stringify(status.events, null, 2) + '\n', what: `its ${status.events.length} most recent events (control decisions with their reasons)` },
  ];
  const missing: string[] = [];
  const logs = await fetchLogs(address, { n: 5000 }).catch((err: Error) => err);
  if (logs instanceof Error) missing.push(`logs.jsonl: ${logs.message}`);
  else parts.push({ file: 'logs.jsonl', data: logs.length ? `${logs.join('\n')}\n` : '', what: `its last ${logs.length} log lines` });
  const metrics = await apiGet(address, '/metrics').catch((err: Error) => err);
  if (metrics instanceof Error || metrics.status !== 200) missing.push(`metrics.txt: ${metrics instanceof Error ? metrics.message : `HTTP ${metrics.status}`}`);
  else parts.push({ file: 'metrics.txt', data: metrics.body, what: 'its Prometheus metrics' });
  return { parts, missing };
}

function versions(status: StatusSnapshot | undefined): Part {
  const v = {
    rackpilot: VERSION, node: process.version, os: { type: type(), release: release(), arch: arch(), hostname: hostname(), uptimeS: Math.round(uptime()) },
    agent: status ? { version: status.agent.version, node: status.agent.node, pid: status.agent.pid, startedAt: new Date(status.agent.startedAtMs).toISOString() } : null,
    generatedAt: new Date().toISOString(),
  };
  return { file: 'versions.json', data: JSON.stringify(v, null, 2) + '\n', what: `versions: rackpilot ${VERSION}${status && status.agent.version !== VERSION ? ` (the agent runs ${status.agent.version})` : ''}, node ${process.version}, ${type()} ${release()} ${arch()}` };
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export const diagReportCommand: Command = {
  spec: {
    name: 'diag report',
    summary: 'write a support archive: config without secrets, versions, logs, status, device identities, decisions',
    usage: 'rackpilot diag report --config FILE [--out FILE] [--no-probe]',
    flags: {
      config: { type: 'string', value: 'FILE', help: 'the agent config', short: 'c' },
      out: { type: 'string', value: 'FILE', help: 'where to write the .tar.gz (default: rackpilot-report-RACK-YYYYMMDD-HHMMSS.tar.gz here); never overwritten' },
      'no-probe': { type: 'boolean', help: 'do not probe the devices (identities and the read-only selftest are left out)' },
    },
    details: 'One .tar.gz (mode 0600) with: config.yaml (secrets replaced; key, token and password files are never read),\n' +
      'config-check.txt, versions.json, and from the running agent (when it answers): status.json, events.json,\n' +
      'logs.jsonl, metrics.txt; plus selftest.json and identities.json from a read-only probe of every device.\n' +
      'README.txt in the archive lists what is in it and what is missing and why. Exit 1 when it cannot be written.',
  },
  async run(flags, _p, io) {
    const path = configFlag(flags);
    const now = new Date();
    const cfg = await configParts(path);
    const loaded = cfg.loaded;
    const status = loaded ? await runningAgent(loaded) : undefined;
    const parts: Part[] = [...cfg.parts, versions(status)];
    const missing = [...cfg.missing];
    if (loaded && status) {
      const a = await agentParts(loaded, status);
      parts.push(...a.parts);
      missing.push(...a.missing);
    } else {
      missing.push(`status.json, events.json, logs.jsonl, metrics.txt: ${loaded ? 'no agent answers on its local API (not running?)' : 'the config is not valid, so the agent\'s address is unknown'}; on the controller: journalctl -u rackpilot --since -1h`);
    }
    if (loaded && flags['no-probe'] !== true) {
      const res = await withProgress(io.err, (progress) => runSelftest({ loaded, ...(status ? { agent: status } : {}), actuators: false, outlets: false, confirm: async () => false, progress }));
      const c = countOf(res.rows);
      parts.push({ file: 'selftest.json', data: JSON.stringify({ counts: c, rows: res.rows }, null, 2) + '\n', what: `a read-only selftest: ${c.pass} passed, ${c.fail} failed, ${c.warn} warnings` });
      parts.push({ file: 'identities.json', data: JSON.stringify(res.devices.map(factsJson), null, 2) + '\n', what: `what each of the ${res.devices.length} devices says it is` });
    } else missing.push(`selftest.json, identities.json: ${loaded ? 'left out (--no-probe)' : 'the config is not valid'}`);
    const rack = loaded?.config.agent.rack ?? 'unknown';
    const dir = `rackpilot-report-${rack}-${stamp(now)}`;
    const readme = [`rackpilot support report, ${now.toISOString()}, rack ${rack}, config ${path}`, '', 'contents:', ...parts.map((p) => `  ${p.file.padEnd(18)} ${p.what}`), '', missing.length ? 'missing:' : 'nothing missing', ...missing.map((m) => `  ${m}`), ''].join('\n');
    const entries: TarEntry[] = [{ name: `${dir}/README.txt`, data: readme, mtimeMs: now.getTime() }, ...parts.map((p) => ({ name: `${dir}/${p.file}`, data: p.data, mtimeMs: now.getTime(), mode: 0o600 }))];
    const out = typeof flags['out'] === 'string' ? flags['out'] : `${dir}.tar.gz`;
    const archive = await tarGz(entries);
    try {
      await writeFile(out, archive, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      io.err.write(`rackpilot diag report: cannot write ${out}: ${(err as NodeJS.ErrnoException).code === 'EEXIST' ? 'it exists (never overwritten): choose another --out' : (err as Error).message}\n`);
      return EXIT_FAILURE;
    }
    io.out.write(`wrote ${out} (${(archive.length / 1024).toFixed(1)} KiB)\n${readme.split('\n').slice(2).join('\n')}`);
    return EXIT_OK;
  },
};
