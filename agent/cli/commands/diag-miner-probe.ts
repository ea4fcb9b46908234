// rackpilot diag miner probe --host H[:PORT] [--json]
import { EXIT_FAILURE, EXIT_OK } from '../args.js';
import type { Command } from '../command.js';
import { minerReport } from '../miner-format.js';
import { MINER_FLAGS, minerFromFlags } from '../miner-target.js';

export const diagMinerProbeCommand: Command = {
  spec: {
    name: 'diag miner probe',
    summary: 'detect a miner\'s firmware and show what it reports',
    usage: 'rackpilot diag miner probe --host HOST[:PORT] [--json] [--user U] [--password-file F]',
    flags: { ...MINER_FLAGS, json: { type: 'boolean', help: 'one JSON object instead of text' } },
    details: 'Reads only. Exit 0 when the miner answered every command, 1 when something could not be read (listed under "not read").',
  },
  async run(flags, _p, io) {
    const { driver, config } = await minerFromFlags(flags);
    const r = await driver.poll(AbortSignal.timeout(config.connectTimeoutMs + 10 * config.timeoutMs));
    const address = `${config.host}:${config.port}`;
    if (flags['json'] === true) {
      const a = driver.actuators()[0];
      const fw = driver.firmware;
      io.out.write(JSON.stringify({
        address,
        firmware: fw ? { name: fw.module.name, label: fw.module.label, evidence: fw.detection.evidence } : null,
        data: driver.last?.data ?? null,
        capabilities: a?.capabilities ?? null,
        settleMs: a?.settleByCommand ?? null,
        failures: driver.last ? driver.last.failures.map((f) => ({ source: f.source, code: f.error.code, message: f.error.message })) : r.error ? [{ source: 'connect', message: r.error }] : [],
      }, null, 2) + '\n');
    } else {
      io.out.write(minerReport(driver, address));
      if (!driver.last) io.err.write(`rackpilot diag miner probe: ${r.error ?? 'no reply'}\n`);
    }
    return r.failed ? EXIT_FAILURE : EXIT_OK;
  },
};
