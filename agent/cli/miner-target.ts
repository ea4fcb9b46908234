// What `rackpilot diag miner …` commands share: the flags that name a miner and its
// credentials, building a driver for it through the same config shape and family as the agent,
// and a yes/no prompt. Passwords come from --password-file, RACKPILOT_MINER_PASSWORD or
// --password (visible in `ps`), and are never printed.

import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseHostPort } from '../config/shape.js';
import { ConfigError } from '../config/shape.js';
import { minerDeviceShape, type MinerDeviceConfig } from '../drivers/miner/config.js';
import type { MinerDriver } from '../drivers/miner/driver.js';
import { minerFamily } from '../drivers/miner/family.js';
import { FIRMWARES } from '../drivers/miner/data.js';
import { createDriverDeps } from '../main.js';
import { systemClock } from '../runtime/clock.js';
import { nullLogger } from '../runtime/log.js';
import { UsageError, type Flags, type FlagSpec } from './args.js';
import type { Io } from './command.js';

export const MINER_FLAGS: Readonly<Record<string, FlagSpec>> = {
  host: { type: 'string', value: 'HOST[:PORT]', help: 'the miner (RPC port 4028 unless given)' },
  firmware: { type: 'string', value: 'NAME', help: `auto (detect) or ${FIRMWARES.join(', ')}`, default: 'auto' },
  'http-port': { type: 'number', value: 'PORT', help: 'web interface / REST port', default: 80 },
  'v3-port': { type: 'number', value: 'PORT', help: 'Whatsminer API v3 port (0: do not probe)', default: 4433 },
  user: { type: 'string', value: 'USER', help: 'account for writes (default: the firmware\'s factory account); env RACKPILOT_MINER_USER' },
  'password-file': { type: 'string', value: 'FILE', help: 'file whose first line is the password; or env RACKPILOT_MINER_PASSWORD' },
  password: { type: 'string', value: 'PASSWORD', help: 'the password (visible to other users in ps: prefer the file or the env)' },
  timeout: { type: 'number', value: 'MS', help: 'read timeout per request', default: 5000 },
};

async function password(flags: Flags): Promise<string | undefined> {
  const file = flags['password-file'];
  if (typeof file === 'string') {
    try {
      const first = (await readFile(file, 'utf8')).split(/\r?\n/)[0]?.trim();
      if (!first) throw new UsageError(`--password-file ${file} is empty`);
      return first;
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`cannot read --password-file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  if (typeof flags['password'] === 'string') return flags['password'];
  return process.env['RACKPILOT_MINER_PASSWORD'] || undefined;
}

/** A driver for the miner the flags name, validated like a rack.yaml `type: miner` device. */
export async function minerFromFlags(flags: Flags): Promise<{ driver: MinerDriver; config: MinerDeviceConfig }> {
  const host = flags['host'];
  if (typeof host !== 'string' || !host) throw new UsageError('--host is required');
  const hp = parseHostPort(host) ?? { host, port: 4028 };
  const pw = await password(flags);
  const user = typeof flags['user'] === 'string' ? flags['user'] : process.env['RACKPILOT_MINER_USER'] || undefined;
  const raw = {
    id: hp.host.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64) || 'miner', host: hp.host, port: hp.port, httpPort: flags['http-port'], v3Port: flags['v3-port'], firmware: flags['firmware'], timeoutMs: flags['timeout'],
    ...(pw ? { credentials: { password: pw, ...(user ? { user } : {}) } } : {}),
  };
  let config: MinerDeviceConfig;
  try {
    config = { ...minerDeviceShape.parse(raw, 'options'), type: 'miner' };
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.issues.map((i) => `${i.path.replace(/^credentials\./, '')}: ${i.reason}`).join('; '));
    throw err;
  }
  const resolved = await minerFamily.resolve(config, { baseDir: process.cwd(), path: 'options' });
  if (!resolved.ok) throw new UsageError(resolved.issues.map((i) => i.reason).join('; '));
  const driver = minerFamily.create(config, resolved.value, createDriverDeps(systemClock, nullLogger)) as MinerDriver;
  return { driver, config };
}

/** Asks a yes/no question on the command's input; true only for y/yes. */
export async function confirm(io: Io, question: string): Promise<boolean> {
  const input = io.in;
  if (!input) throw new UsageError('needs confirmation: answer on a terminal, or pass --yes');
  io.out.write(`${question} [y/N] `);
  const rl = createInterface({ input, terminal: false });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.once('line', resolve);
      rl.once('close', () => resolve(''));
    });
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}
