// What a subcommand is, and helpers shared by the subcommands.
import { SCENARIOS } from '../../hw-sim/scenarios/index.js';
import { LEVELS, type Level } from '../runtime/log.js';
import { UsageError, type CommandSpec, type Flags } from './args.js';

export interface Io {
  readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly err: NodeJS.WritableStream;
  /** Where confirmations are read (stdin); absent where nothing can answer. */
  readonly in?: NodeJS.ReadableStream;
}

export interface Command {
  readonly spec: CommandSpec;
  run(flags: Flags, positionals: string[], io: Io): Promise<number>;
}

export function level(flags: Flags, fallback: Level): Level {
  const l = flags['log-level'];
  if (l === undefined) return fallback;
  if (!(LEVELS as readonly unknown[]).includes(l)) throw new UsageError(`--log-level must be one of ${LEVELS.join(', ')}`);
  return l as Level;
}

export function scenarioOf(name: unknown): NonNullable<ReturnType<typeof SCENARIOS.get>> {
  const s = SCENARIOS.get(String(name));
  if (!s) throw new UsageError(`unknown scenario "${String(name)}"; known: ${[...SCENARIOS.keys()].join(', ')}`);
  return s;
}

/** The --config FILE every config-driven command needs. Throws UsageError. */
export function configFlag(flags: Flags): string {
  const path = flags['config'];
  if (typeof path !== 'string') throw new UsageError('--config FILE is required');
  return path;
}

export const logLevelFlag = { type: 'string', value: 'LEVEL', help: `log level: ${LEVELS.join(', ')}` } as const;

