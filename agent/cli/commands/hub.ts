// rackpilot hub [--listen HOST:PORT]
import { startHub } from '../../../hub/server.js';
import { parseHostPort } from '../../config/shape.js';
import { createLogger } from '../../runtime/log.js';
import { EXIT_OK, UsageError } from '../args.js';
import { level, logLevelFlag, type Command } from '../command.js';
import { untilSignal } from '../signals.js';

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

