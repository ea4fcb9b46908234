// rackpilot sim [--scenario NAME] [--port-base PORT] [--write-config FILE]
import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { startSimulator } from '../../../hw-sim/run.js';
import { SCENARIOS } from '../../../hw-sim/scenarios/index.js';
import { EXIT_OK, UsageError } from '../args.js';
import { scenarioOf, type Command } from '../command.js';
import { untilSignal } from '../signals.js';
import { configForSim } from '../sim-config.js';

export const simCommand: Command = {
  spec: {
    name: 'sim',
    summary: 'run the hardware simulator',
    usage: 'rackpilot sim [--scenario NAME] [--port-base PORT] [--write-config FILE [--hub URL]]',
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
      const cfg = configForSim(running.endpoints, { hubUrl: String(flags['hub']), scenario });
      await writeFile(out, `# Agent config for rackpilot sim --scenario ${scenario.name} (written by rackpilot sim --write-config)\n${stringify(cfg)}`);
      io.err.write(`wrote ${out}\n`);
    }
    await untilSignal(() => running.stop());
    return EXIT_OK;
  },
};

