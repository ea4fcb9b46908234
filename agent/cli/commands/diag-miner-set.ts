// rackpilot diag miner set --host H[:PORT] (--power W | --pause | --resume) [--yes]
import type { ActuatorCommand } from '../../drivers/types.js';
import { EXIT_FAILURE, EXIT_OK, UsageError, type Flags } from '../args.js';
import type { Command } from '../command.js';
import { powerText } from '../miner-format.js';
import { confirm, MINER_FLAGS, minerFromFlags } from '../miner-target.js';

function commandOf(flags: Flags): ActuatorCommand {
  const chosen = [flags['power'] !== undefined, flags['pause'] === true, flags['resume'] === true].filter(Boolean).length;
  if (chosen !== 1) throw new UsageError('give exactly one of --power W, --pause, --resume');
  if (flags['pause'] === true) return { type: 'pause' };
  if (flags['resume'] === true) return { type: 'resume' };
  const w = Number(flags['power']);
  if (!(w >= 100 && w <= 100_000)) throw new UsageError('--power must be a wattage between 100 and 100000');
  return { type: 'set_power', watts: w };
}

const WHAT: Record<string, (c: ActuatorCommand) => string> = {
  pause: () => 'pause (stop hashing)',
  resume: () => 'resume hashing',
  set_power: (c) => `set the power target to ${c.type === 'set_power' ? c.watts : '?'} W`,
};

export const diagMinerSetCommand: Command = {
  spec: {
    name: 'diag miner set',
    summary: 'pause, resume or set the power target of a miner (asks first)',
    usage: 'rackpilot diag miner set --host HOST[:PORT] (--power W | --pause | --resume) [--yes]',
    flags: {
      ...MINER_FLAGS,
      power: { type: 'number', value: 'W', help: 'power target, W (firmware with a watt target; clamped to its range)' },
      pause: { type: 'boolean', help: 'stop hashing (sleep / curtail / pause, as the firmware does it)' },
      resume: { type: 'boolean', help: 'start hashing again' },
      yes: { type: 'boolean', short: 'y', help: 'do not ask for confirmation' },
    },
    details: 'Reads the miner first, says what it will do, asks, sends the command and reads the state back until it matches\n(or the firmware\'s settle time passes). Exit 0 only when the read-back confirms the command.',
  },
  async run(flags, _p, io) {
    const cmd = commandOf(flags);
    const { driver, config } = await minerFromFlags(flags);
    const probe = await driver.poll(AbortSignal.timeout(config.connectTimeoutMs + 10 * config.timeoutMs));
    const fw = driver.firmware;
    const d = driver.last?.data;
    if (!fw || !d) {
      io.err.write(`rackpilot diag miner set: cannot read ${config.host}:${config.port}: ${probe.error ?? 'no reply'}\n`);
      return EXIT_FAILURE;
    }
    const a = driver.actuators()[0];
    if (!a) return EXIT_FAILURE;
    const settle = a.settleByCommand?.[cmd.type] ?? a.settleMs;
    io.out.write(`${config.host}:${config.port}: ${fw.module.label}, ${d.model ?? 'model ?'} — now ${d.state ?? '?'}, ${powerText(d)}, target ${d.powerTargetW === null ? 'none' : `${d.powerTargetW} W`}\n`);
    if (cmd.type === 'set_power' && !a.capabilities.setPower) {
      io.err.write(`rackpilot diag miner set: ${fw.module.label} on this miner has no watt target; use --pause or --resume\n`);
      return EXIT_FAILURE;
    }
    if (cmd.type === 'set_power' && a.capabilities.setPower && (cmd.watts < a.capabilities.setPower.minW || cmd.watts > a.capabilities.setPower.maxW)) {
      io.out.write(`note: ${cmd.watts} W is outside this miner's range ${a.capabilities.setPower.minW}–${a.capabilities.setPower.maxW} W and will be clamped\n`);
    }
    if (flags['yes'] !== true && !(await confirm(io, `${WHAT[cmd.type]?.(cmd) ?? cmd.type} (expect ~${Math.round(settle / 1000)} s)?`))) {
      io.out.write('nothing sent\n');
      return EXIT_FAILURE;
    }
    const r = await a.apply(cmd, AbortSignal.timeout(settle + 30_000));
    io.out.write(`${r.ok ? (r.verified ? 'done' : 'sent, not confirmed') : 'failed'}: ${r.detail}\n`);
    return r.ok && r.verified ? EXIT_OK : EXIT_FAILURE;
  },
};
