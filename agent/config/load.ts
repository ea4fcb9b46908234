// Config file → validated Config with its device profiles resolved. Errors name the file, the
// path inside it and a one-line reason; nothing is fixed up silently.

import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { DeviceFamily } from '../drivers/family.js';
import { familyOf } from '../drivers/families.js';
import { configShape, type Config, type DeviceConfig } from './schema.js';
import { ConfigError, type Issue } from './shape.js';
import { parseYaml } from './yaml.js';

export { parseYaml } from './yaml.js';

export interface LoadedConfig {
  readonly config: Config;
  /** What each device's family resolved from its config (profiles…), by device id. */
  readonly resolved: ReadonlyMap<string, unknown>;
  readonly source: string;
  /** The config file's directory: relative paths in the config (profiles, keys, spool) are relative to it. */
  readonly baseDir: string;
}

/** Validates an already-parsed config object (used by the demo, which builds one in memory). */
export async function resolveConfig(raw: unknown, source: string, baseDir: string): Promise<LoadedConfig> {
  const config = configShape.parse(raw, source);
  const resolved = new Map<string, unknown>();
  const issues: Issue[] = [];
  const byFamily = new Map<DeviceFamily<DeviceConfig, unknown>, { config: DeviceConfig; path: string; resolved: unknown }[]>();
  for (const [i, d] of config.devices.entries()) {
    const family = familyOf(d);
    const path = `devices[${i}]`;
    const r = await family.resolve(d, { baseDir, path });
    if (!r.ok) {
      issues.push(...r.issues);
      continue;
    }
    resolved.set(d.id, r.value);
    byFamily.set(family, [...(byFamily.get(family) ?? []), { config: d, path, resolved: r.value }]);
  }
  if (!issues.length) for (const [family, devices] of byFamily) issues.push(...(family.crossCheck?.(devices) ?? []));
  if (issues.length) throw new ConfigError(issues, source);
  return { config, resolved, source, baseDir };
}

export async function loadConfig(path: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError([{ path: '', reason: `cannot read config: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }], path);
  }
  return resolveConfig(parseYaml(text, path), path, dirname(resolve(path)));
}
