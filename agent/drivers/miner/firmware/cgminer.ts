// Parsers for the standard cgminer reply sections (API-README; shared/reference/miners.md §1.7),
// shared by every firmware that speaks the family: summary rates in whatever unit the key names
// ("GHS 5s", "MHS av"), pools, version. Pure.

import type { DataPatch, PoolData } from '../data.js';
import { bool, num, section, seconds, str, toTHs, type Rec } from '../values.js';

const RATE_KEYS = ['5s', '1m', '5m', 'av'] as const;

/** A summary-style hashrate: "GHS 5s" (bmminer, LuxOS), "MHS 5s" (cgminer, BOS, btminer)… */
export function summaryRate(r: Rec): number | null {
  for (const w of RATE_KEYS) {
    for (const [prefix, unit] of [['GHS', 'GH'], ['MHS', 'MH'], ['THS', 'TH']] as const) {
      const v = toTHs(r[`${prefix} ${w}`], unit);
      if (v !== null) return v;
    }
  }
  return null;
}

/** `summary` → hashrate and uptime. Empty SUMMARY (a sleeping Antminer) gives an empty patch. */
export function parseSummary(reply: unknown): DataPatch {
  const s = section(reply, 'SUMMARY')[0];
  if (!s) return {};
  return { hashrateTHs: summaryRate(s), uptimeS: seconds(s['Elapsed']) };
}

/** `pools` → pools. POOL is 0-based on cgminer/Antminer/LuxOS, 1-based on Whatsminer v2. */
export function parsePools(reply: unknown, opts: { oneBased?: boolean } = {}): DataPatch {
  const pools = section(reply, 'POOLS').map((p, i): PoolData => ({
    index: (num(p['POOL']) ?? i + (opts.oneBased ? 1 : 0)) - (opts.oneBased ? 1 : 0),
    url: str(p['URL']) ?? str(p['Stratum URL']) ?? '',
    user: str(p['User']),
    status: str(p['Status']),
    active: bool(p['Stratum Active']),
    accepted: num(p['Accepted']),
    rejected: num(p['Rejected']),
  }));
  return { pools };
}

/**
 * `version` → `text`: everything the daemon says about itself, keys included (the daemon's
 * name is often a key: "LUXminer", "BMMiner"), for detection; `summary`: its description and
 * model, for people.
 */
export function versionText(reply: unknown): { text: string; summary: string } {
  const v = section(reply, 'VERSION')[0] ?? {};
  const description = str(section(reply, 'STATUS')[0]?.['Description']) ?? '';
  const type = str(v['Type']);
  return { text: `${JSON.stringify(v)} ${description}`, summary: [description, type].filter(Boolean).join(', ') || JSON.stringify(v) };
}
