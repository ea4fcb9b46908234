// rackpilot command-line entry point (the bundle's main).
import { ConfigError } from '../config/shape.js';
import { VERSION } from '../version.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, helpText, parseArgs, UsageError } from './args.js';
import type { Io } from './command.js';
import { COMMANDS } from './commands/index.js';

const NAME_WIDTH = Math.max(...COMMANDS.map((c) => c.spec.name.length)) + 2;
const TOP_HELP = `rackpilot ${VERSION} — rack controller agent for hybrid miner + AI sites

usage: rackpilot <command> [options]

commands:
${COMMANDS.map((c) => `  ${c.spec.name.padEnd(NAME_WIDTH)}${c.spec.summary}`).join('\n')}

Run "rackpilot <command> --help" for a command's options.
exit codes: 0 ok, 1 runtime failure, 2 bad usage or config
`;

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [first] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    io.out.write(TOP_HELP);
    return first === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (first === '--version' || first === 'version') {
    io.out.write(`rackpilot ${VERSION}\n`);
    return EXIT_OK;
  }
  // The longest command name that matches the leading words wins ("diag modbus read").
  const cmd = [...COMMANDS]
    .sort((a, b) => b.spec.name.split(' ').length - a.spec.name.split(' ').length)
    .find((c) => c.spec.name.split(' ').every((w, i) => argv[i] === w));
  if (!cmd) {
    // A group ("config", "diag", "diag modbus"): list its commands.
    const words = argv.filter((a) => !a.startsWith('-'));
    for (let n = words.length; n > 0; n--) {
      const prefix = words.slice(0, n).join(' ') + ' ';
      const group = COMMANDS.filter((c) => c.spec.name.startsWith(prefix));
      if (!group.length) continue;
      const wantsHelp = argv.includes('--help') || argv.includes('-h');
      const list = group.map((c) => `  rackpilot ${c.spec.name.padEnd(24)}${c.spec.summary}`).join('\n');
      (wantsHelp ? io.out : io.err).write(`${wantsHelp ? '' : `rackpilot ${prefix.trim()}: needs a subcommand\n`}${list}\n`);
      return wantsHelp ? EXIT_OK : EXIT_USAGE;
    }
    io.err.write(`rackpilot: unknown command "${first}"\n\n${TOP_HELP}`);
    return EXIT_USAGE;
  }
  const rest = argv.slice(cmd.spec.name.split(' ').length);
  try {
    const parsed = parseArgs(cmd.spec, rest);
    if (parsed.help) {
      io.out.write(helpText(cmd.spec));
      return EXIT_OK;
    }
    return await cmd.run(parsed.flags, parsed.positionals, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err.write(`rackpilot ${cmd.spec.name}: ${err.message}\n`);
      return EXIT_USAGE;
    }
    if (err instanceof ConfigError) {
      io.err.write(`${err.message}\n`);
      return EXIT_USAGE;
    }
    io.err.write(`rackpilot ${cmd.spec.name}: ${(err as Error).message ?? String(err)}\n`);
    return EXIT_FAILURE;
  }
}

/** Runs main and exits with its code once stdout has drained. */
export function run(): void {
  main(process.argv.slice(2), { out: process.stdout, err: process.stderr, in: process.stdin }).then(
    (code) => {
      process.exitCode = code;
      process.stdout.write('', () => process.exit(code));
    },
    (err: unknown) => {
      process.stderr.write(`rackpilot: ${String(err)}\n`);
      process.exit(EXIT_FAILURE);
    },
  );
}
