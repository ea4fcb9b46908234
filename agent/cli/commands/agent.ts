// rackpilot agent --config FILE
import { loadConfig } from '../../config/load.js';
import { startAgent } from '../../main.js';
import { createLogger } from '../../runtime/log.js';
import { LogRing, teeSink } from '../../runtime/log-ring.js';
import { EXIT_OK } from '../args.js';
import { configFlag, level, logLevelFlag, type Command } from '../command.js';
import { untilSignal } from '../signals.js';

export const agentCommand: Command = {
  spec: {
    name: 'agent',
    summary: 'run the rack agent',
    usage: 'rackpilot agent --config FILE',
    flags: { config: { type: 'string', value: 'FILE', help: 'agent config (YAML)', short: 'c' }, 'log-level': logLevelFlag },
    details: 'Polls the configured devices, streams telemetry to the hub and serves GET /metrics.\nLogs are JSON lines on stderr. SIGINT/SIGTERM stop it cleanly.',
  },
  async run(flags) {
    const loaded = await loadConfig(configFlag(flags));
    // Logs go to stderr (the journal) and the last lines stay in memory for GET /logs (diag).
    const logRing = new LogRing();
    const log = createLogger({ level: level(flags, loaded.config.log.level), sink: teeSink(process.stderr, logRing) });
    const agent = await startAgent(loaded, { log, logRing });
    await untilSignal((sig) => agent.stop(`signal ${sig}`));
    return EXIT_OK;
  },
};

