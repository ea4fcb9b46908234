// A small argument parser: declared flags only (unknown ones are usage errors), typed values,
// generated --help text. Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad config.

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {
  readonly code = 'usage';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type FlagType = 'string' | 'number' | 'boolean';

export interface FlagSpec {
  readonly type: FlagType;
  readonly help: string;
  readonly value?: string;
  readonly default?: string | number | boolean;
  readonly short?: string;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  readonly positionals?: readonly { readonly name: string; readonly help: string; readonly required?: boolean }[];
  readonly details?: string;
}

export type Flags = Record<string, string | number | boolean | undefined>;

export interface Parsed {
  readonly flags: Flags;
  readonly positionals: string[];
  readonly help: boolean;
}

export function parseArgs(spec: CommandSpec, argv: readonly string[]): Parsed {
  const flags: Flags = {};
  for (const [k, f] of Object.entries(spec.flags)) if (f.default !== undefined) flags[k] = f.default;
  const positionals: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a === '--help' || a === '-h') {
      help = true;
      continue;
    }
    if (!a.startsWith('-') || a === '-') {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    let name = a.startsWith('--') ? a.slice(2, eq === -1 ? undefined : eq) : a.slice(1);
    if (!a.startsWith('--')) {
      const long = Object.entries(spec.flags).find(([, f]) => f.short === name)?.[0];
      if (!long) throw new UsageError(`unknown option ${a} for "${spec.name}" (see rackpilot ${spec.name} --help)`);
      name = long;
    }
    const f = spec.flags[name];
    if (!f) throw new UsageError(`unknown option --${name} for "${spec.name}" (see rackpilot ${spec.name} --help)`);
    if (f.type === 'boolean') {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let raw: string | undefined = eq !== -1 ? a.slice(eq + 1) : argv[++i];
    if (raw === undefined) throw new UsageError(`--${name} needs a value (${f.value ?? f.type})`);
    if (f.type === 'number') {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number (got "${raw}")`);
      flags[name] = n;
    } else {
      raw = raw.trim();
      flags[name] = raw;
    }
  }
  if (!help) {
    const req = (spec.positionals ?? []).filter((p) => p.required);
    if (positionals.length < req.length) throw new UsageError(`missing ${req[positionals.length]?.name ?? 'argument'} (usage: ${spec.usage})`);
    const max = spec.positionals?.length ?? 0;
    if (positionals.length > max) throw new UsageError(`unexpected argument "${positionals[max] ?? ''}" (usage: ${spec.usage})`);
  }
  return { flags, positionals, help };
}

export function helpText(spec: CommandSpec): string {
  const lines = [`rackpilot ${spec.name} — ${spec.summary}`, '', `usage: ${spec.usage}`];
  if (spec.positionals?.length) {
    lines.push('', 'arguments:');
    for (const p of spec.positionals) lines.push(`  ${p.name.padEnd(26)}${p.help}`);
  }
  const entries = Object.entries(spec.flags);
  lines.push('', 'options:');
  for (const [k, f] of entries) {
    const left = `${f.short ? `-${f.short}, ` : ''}--${k}${f.type === 'boolean' ? '' : ` ${f.value ?? f.type.toUpperCase()}`}`;
    const def = f.default !== undefined && f.type !== 'boolean' ? ` (default ${String(f.default)})` : '';
    lines.push(`  ${left.padEnd(26)}${f.help}${def}`);
  }
  lines.push(`  ${'-h, --help'.padEnd(26)}show this help`);
  if (spec.details) lines.push('', spec.details);
  lines.push('', 'exit codes: 0 ok, 1 runtime failure, 2 bad usage or config');
  return lines.join('\n') + '\n';
}
