// The environment the systemd unit (build/systemd/rackpilot.service) gives the agent — its
// `Environment=` lines: V8 and malloc settings that bound the agent's memory. The benchmarks
// run the agent with it, so they measure the agent as installed.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const UNIT = join(dirname(fileURLToPath(import.meta.url)), 'systemd/rackpilot.service');

/** NAME → value of every `Environment=NAME=value` line (a quoted value loses its quotes). */
export function unitEnvironment(unit = UNIT) {
  const env = {};
  for (const line of readFileSync(unit, 'utf8').split('\n')) {
    const m = /^Environment=(?:"([^"]*)"|(\S+))\s*$/.exec(line.trim());
    const kv = m?.[1] ?? m?.[2];
    if (!kv) continue;
    const eq = kv.indexOf('=');
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return env;
}
