// rackpilot config check FILE
import { loadConfig } from '../../config/load.js';
import { EXIT_OK } from '../args.js';
import type { Command } from '../command.js';

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

