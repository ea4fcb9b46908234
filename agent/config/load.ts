// Config file → validated Config with its device profiles resolved. Errors name the file, the
// path inside it and a one-line reason; nothing is fixed up silently.

import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { BUILTIN_PROFILES } from '../drivers/pdu/profiles/index.js';
import { expandProfile, profileShape, type Profile } from '../drivers/pdu/profile.js';
import { configShape, type Config } from './schema.js';
import { ConfigError, type Issue } from './shape.js';

export interface LoadedConfig {
  readonly config: Config;
  /** Resolved profile for each Modbus device, by device id. */
  readonly profiles: ReadonlyMap<string, Profile>;
  readonly source: string;
}

/** Parses YAML text; syntax errors become ConfigError with line and column. */
export function parseYaml(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    const issues: Issue[] = doc.errors.map((e) => ({
      path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '',
      reason: (e.message.split('\n')[0] ?? 'YAML syntax error').replace(/ at line \d+, column \d+:?$/, ''),
    }));
    throw new ConfigError(issues, source);
  }
  return doc.toJS({ maxAliasCount: 100 }) as unknown;
}

export async function loadProfileFile(path: string): Promise<Profile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError([{ path: '', reason: `cannot read profile: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }], path);
  }
  return profileShape.parse(parseYaml(text, path), path);
}

/** Validates an already-parsed config object (used by the demo, which builds one in memory). */
export async function resolveConfig(raw: unknown, source: string, baseDir: string): Promise<LoadedConfig> {
  const config = configShape.parse(raw, source);
  const profiles = new Map<string, Profile>();
  const issues: Issue[] = [];
  for (const [i, d] of config.devices.entries()) {
    const path = `devices[${i}].profile`;
    let profile = BUILTIN_PROFILES.get(d.profile);
    if (!profile) {
      if (!/[/\\]|\.ya?ml$/.test(d.profile)) {
        issues.push({ path, reason: `unknown profile "${d.profile}"; built-in profiles: ${[...BUILTIN_PROFILES.keys()].join(', ')}, or give a path to a YAML file` });
        continue;
      }
      try {
        profile = await loadProfileFile(resolve(baseDir, d.profile));
      } catch (err) {
        issues.push({ path, reason: err instanceof ConfigError ? err.message.replace(/\n/g, '; ') : String(err) });
        continue;
      }
    }
    if (profile.outlets.count === undefined && profile.outlets.max > 0 && d.outlets === undefined) {
      issues.push({ path: `devices[${i}].outlets`, reason: `is required with profile ${profile.name} (its outlet count depends on the model)` });
      continue;
    }
    try {
      expandProfile(profile, d.outlets);
    } catch (err) {
      issues.push({ path: `devices[${i}].outlets`, reason: (err as Error).message });
      continue;
    }
    profiles.set(d.id, profile);
  }
  if (issues.length) throw new ConfigError(issues, source);
  return { config, profiles, source };
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
