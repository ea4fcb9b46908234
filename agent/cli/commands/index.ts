// Every rackpilot subcommand. Adding one: a file in this folder and a line here. Names may have
// several words ("config check", "diag modbus read"); the longest match wins.
import type { Command } from '../command.js';
import { agentCommand } from './agent.js';
import { configCheckCommand } from './config.js';
import { demoCommand } from './demo.js';
import { diagMinerProbeCommand } from './diag-miner-probe.js';
import { diagMinerSetCommand } from './diag-miner-set.js';
import { hubCommand } from './hub.js';
import { simCommand } from './sim.js';

export const COMMANDS: readonly Command[] = [agentCommand, simCommand, hubCommand, demoCommand, configCheckCommand, diagMinerProbeCommand, diagMinerSetCommand];
