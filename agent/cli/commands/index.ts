// Every rackpilot subcommand. Adding one: a file in this folder and a line here. Names may have
// several words ("config check", "diag modbus read"); the longest match wins.
import type { Command } from '../command.js';
import { agentCommand } from './agent.js';
import { configCheckCommand } from './config.js';
import { demoCommand } from './demo.js';
import { diagGpuCommand } from './diag-gpu.js';
import { diagHubCommand } from './diag-hub.js';
import { diagMinerProbeCommand } from './diag-miner-probe.js';
import { diagMinerSetCommand } from './diag-miner-set.js';
import { diagModbusRawCommand } from './diag-modbus-raw.js';
import { diagModbusReadCommand } from './diag-modbus-read.js';
import { diagModbusScanCommand } from './diag-modbus-scan.js';
import { diagReportCommand } from './diag-report.js';
import { diagSelftestCommand } from './diag-selftest.js';
import { diagStatusCommand } from './diag-status.js';
import { hubCommand } from './hub.js';
import { keygenCommand } from './keygen.js';
import { simCommand } from './sim.js';

export const COMMANDS: readonly Command[] = [
  agentCommand, simCommand, hubCommand, demoCommand, configCheckCommand, keygenCommand,
  diagModbusReadCommand, diagModbusRawCommand, diagModbusScanCommand,
  diagMinerProbeCommand, diagMinerSetCommand,
  diagGpuCommand,
  diagStatusCommand, diagSelftestCommand, diagHubCommand, diagReportCommand,
];
