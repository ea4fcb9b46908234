// Built-in profiles by name. A profile can also be loaded from a YAML file (config `profile:`
// given as a path), validated with the same shape and checks.
import { formatIssues } from '../../../config/shape.js';
import { checkProfile, profileShape, type Profile } from '../profile.js';
import { carloGavazziEm24 } from './carlo-gavazzi-em24.js';
import { eastronSdm120, eastronSdm630 } from './eastron.js';
import { gudeExpertPdu } from './gude-expert-pdu.js';
import { netioPowerPdu } from './netio-powerpdu.js';
import { rackpilotSimPdu } from './rackpilot-sim-pdu.js';
import { schneiderPm5xxx } from './schneider-pm5xxx.js';
import { xerusPdu } from './xerus-pdu.js';

const builtins: readonly unknown[] = [rackpilotSimPdu, xerusPdu, eastronSdm630, eastronSdm120, schneiderPm5xxx, carloGavazziEm24, netioPowerPdu, gudeExpertPdu];

function checked(raw: unknown): Profile {
  const p = profileShape.parse(raw, 'built-in profile');
  const issues = checkProfile(p);
  if (issues.length) throw new Error(formatIssues(issues, `built-in profile ${p.name}`));
  return p;
}

export const BUILTIN_PROFILES: ReadonlyMap<string, Profile> = new Map(builtins.map(checked).map((p) => [p.name, p]));
