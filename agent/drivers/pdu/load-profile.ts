// A profile by reference: a built-in name, or a path to a YAML file validated with the profile
// shape and checkProfile(). Used by the family (config) and by `diag modbus read --profile`.

import { resolve as resolvePath } from 'node:path';
import { loadYamlFile } from '../../config/yaml.js';
import { ConfigError, formatIssues } from '../../config/shape.js';
import { checkProfile, profileShape, type Profile } from './profile.js';
import { BUILTIN_PROFILES } from './profiles/index.js';

export type ProfileLoad = { readonly ok: true; readonly profile: Profile } | { readonly ok: false; readonly reason: string };

export function isProfilePath(ref: string): boolean {
  return /[/\\]|\.ya?ml$/.test(ref);
}

export async function loadProfile(ref: string, baseDir: string): Promise<ProfileLoad> {
  const builtin = BUILTIN_PROFILES.get(ref);
  if (builtin) return { ok: true, profile: builtin };
  if (!isProfilePath(ref)) {
    return { ok: false, reason: `unknown profile "${ref}"; built-in profiles: ${[...BUILTIN_PROFILES.keys()].join(', ')}, or give a path to a YAML file` };
  }
  const file = resolvePath(baseDir, ref);
  let profile: Profile;
  try {
    profile = await loadYamlFile(file, profileShape, 'profile');
  } catch (err) {
    return { ok: false, reason: err instanceof ConfigError ? err.message.replace(/\n/g, '; ') : String(err) };
  }
  const issues = checkProfile(profile);
  return issues.length ? { ok: false, reason: formatIssues(issues, file).replace(/\n/g, '; ') } : { ok: true, profile };
}
